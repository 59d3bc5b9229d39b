#!/usr/bin/env python3
"""Checks Wasm contract modules against the rules of Mosaic's Wasm VM (see wasm/README.md), without
dependencies: size <= 24,576 bytes; imports only the `mosaic` host functions, with their exact
signatures; exports `memory` and `call` (and `deploy`, if any, as `() -> i32`); no f32/f64/v128
value types in function types, globals or locals. (Float instructions that touch no float local or
signature would slip through; the node's validator rejects those too.)

Usage: scripts/check-wasm-module.py FILE.wasm...
"""
import sys

MAX_SIZE = 24_576
I32, I64 = 0x7F, 0x7E
FORBIDDEN = {0x7D: "f32", 0x7C: "f64", 0x7B: "v128"}
HOST = {
    "input_size": ((), (I32,)),
    "input_copy": ((I32, I32, I32), ()),
    "set_output": ((I32, I32), ()),
    "caller": ((I32,), ()),
    "address": ((I32,), ()),
    "origin": ((I32,), ()),
    "call_value": ((I32,), ()),
    "coinbase": ((I32,), ()),
    "base_fee": ((I32,), ()),
    "gas_price": ((I32,), ()),
    "chain_id": ((), (I64,)),
    "block_number": ((), (I64,)),
    "block_timestamp": ((), (I64,)),
    "gas_left": ((), (I64,)),
    "balance": ((I32, I32), ()),
    "sload": ((I32, I32), ()),
    "sstore": ((I32, I32), ()),
    "keccak256": ((I32, I32, I32), ()),
    "emit_log": ((I32, I32, I32, I32), ()),
    "call": ((I32, I64, I32, I32, I32, I32), (I32,)),
    "return_data_size": ((), (I32,)),
    "return_data_copy": ((I32, I32, I32), ()),
}


class Reader:
    def __init__(self, data, pos=0):
        self.data, self.pos = data, pos

    def byte(self):
        b = self.data[self.pos]
        self.pos += 1
        return b

    def uleb(self):
        result = shift = 0
        while True:
            b = self.byte()
            result |= (b & 0x7F) << shift
            shift += 7
            if not b & 0x80:
                return result

    def name(self):
        n = self.uleb()
        s = self.data[self.pos:self.pos + n].decode("utf-8", "replace")
        self.pos += n
        return s

    def limits(self):
        flags = self.uleb()
        self.uleb()
        if flags & 1:
            self.uleb()


def check(path):
    data = open(path, "rb").read()
    errors = []
    if data[:8] != b"\0asm\x01\0\0\0":
        return [f"{path}: not a Wasm module"]
    if len(data) > MAX_SIZE:
        errors.append(f"{len(data)} bytes, over the {MAX_SIZE}-byte limit")
    types, func_types, exports, imports = [], [], {}, []
    r = Reader(data, 8)
    while r.pos < len(data):
        sid, size = r.byte(), r.uleb()
        end = r.pos + size
        s = Reader(data, r.pos)
        if sid == 1:  # types
            for _ in range(s.uleb()):
                if s.byte() != 0x60:
                    errors.append("non-function type")
                    break
                params = tuple(s.byte() for _ in range(s.uleb()))
                results = tuple(s.byte() for _ in range(s.uleb()))
                types.append((params, results))
        elif sid == 2:  # imports
            for _ in range(s.uleb()):
                module, field, kind = s.name(), s.name(), s.byte()
                if kind == 0:
                    sig = types[s.uleb()]
                    imports.append(f"{module}.{field}")
                    if module != "mosaic" or field not in HOST:
                        errors.append(f"unexpected import {module}.{field}")
                    elif sig != HOST[field]:
                        errors.append(f"import mosaic.{field} has the wrong signature {sig}")
                else:
                    errors.append(f"non-function import {module}.{field}")
                    if kind == 1:
                        s.byte()
                        s.limits()
                    elif kind == 2:
                        s.limits()
                    else:
                        s.byte()
                        s.byte()
        elif sid == 3:  # functions
            func_types = [s.uleb() for _ in range(s.uleb())]
        elif sid == 6:  # globals: valtype + mutability, then an init expression up to `end`
            for _ in range(s.uleb()):
                vt = s.byte()
                if vt in FORBIDDEN:
                    errors.append(f"{FORBIDDEN[vt]} global")
                s.byte()
                while (op := s.byte()) != 0x0B:  # const expression
                    if op in (0x41, 0x42, 0x23):  # i32.const, i64.const, global.get
                        s.uleb()
                    elif op in (0x43, 0x44):  # f32.const, f64.const
                        errors.append("float constant in a global initializer")
                        s.pos += 4 if op == 0x43 else 8
        elif sid == 7:  # exports
            for _ in range(s.uleb()):
                name, kind, idx = s.name(), s.byte(), s.uleb()
                exports[name] = (kind, idx)
        elif sid == 10:  # code: only the local declarations are read
            for _ in range(s.uleb()):
                body_size = s.uleb()
                body_end = s.pos + body_size
                for _ in range(s.uleb()):
                    s.uleb()
                    vt = s.byte()
                    if vt in FORBIDDEN:
                        errors.append(f"{FORBIDDEN[vt]} local")
                s.pos = body_end
        r.pos = end
    for params, results in types:
        for vt in params + results:
            if vt in FORBIDDEN:
                errors.append(f"{FORBIDDEN[vt]} in a function type {params} -> {results}")
    if exports.get("memory", (None,))[0] != 2:
        errors.append("no exported memory `memory`")
    n_imported = len(imports)
    for entry, required in (("call", True), ("deploy", False)):
        kind, idx = exports.get(entry, (None, None))
        if kind is None:
            if required:
                errors.append(f"no exported function `{entry}`")
            continue
        if kind != 0 or idx < n_imported or types[func_types[idx - n_imported]] != ((), (I32,)):
            errors.append(f"export `{entry}` is not a function () -> i32")
    status = "ok" if not errors else "FAILED"
    print(f"{path}: {status}, {len(data)} bytes, imports: {', '.join(i.split('.', 1)[1] for i in imports)}")
    return [f"{path}: {e}" for e in errors]


if __name__ == "__main__":
    all_errors = [e for p in sys.argv[1:] for e in check(p)]
    for e in all_errors:
        print(f"error: {e}", file=sys.stderr)
    sys.exit(1 if all_errors or len(sys.argv) < 2 else 0)
