// viem's `multicall` against a chain with Multicall3 at its canonical address: several reads of an
// ERC-20 in one eth_call through aggregate3, and Multicall3's own getters.
//
// Usage: node e2e/viem-multicall.mjs <rpc-url> <token-address>   (e2e/predeploys.sh runs it)
import assert from 'node:assert/strict'
import { createRequire } from 'node:module'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

const [rpcUrl, token] = process.argv.slice(2)
if (!rpcUrl || !token) {
  console.error('usage: node e2e/viem-multicall.mjs <rpc-url> <token-address>')
  process.exit(2)
}
const repo = fileURLToPath(new URL('..', import.meta.url))
const tools = process.env.MOSAIC_TOOLS ?? join(repo, '.tools')
const require = createRequire(join(tools, 'package.json'))
const { createPublicClient, defineChain, http, parseAbi } = require('viem')

const MULTICALL3 = '0xcA11bde05977b3631167028862bE2a173976CA11'
const probe = createPublicClient({ transport: http(rpcUrl) })
const chainId = await probe.getChainId()
const chain = defineChain({
  id: chainId,
  name: 'mosaic',
  nativeCurrency: { name: 'Ether', symbol: 'ETH', decimals: 18 },
  rpcUrls: { default: { http: [rpcUrl] } },
  contracts: { multicall3: { address: MULTICALL3 } },
})
// Count the eth_calls so the test knows the reads went through one multicall.
let calls = 0
const client = createPublicClient({
  chain,
  transport: http(rpcUrl, { onFetchRequest: async (req) => { if ((await req.clone().text()).includes('eth_call')) calls++ } }),
})

const erc20 = parseAbi([
  'function name() view returns (string)',
  'function symbol() view returns (string)',
  'function totalSupply() view returns (uint256)',
  'function balanceOf(address) view returns (uint256)',
])
const results = await client.multicall({
  contracts: [
    { address: token, abi: erc20, functionName: 'name' },
    { address: token, abi: erc20, functionName: 'symbol' },
    { address: token, abi: erc20, functionName: 'totalSupply' },
    { address: token, abi: erc20, functionName: 'balanceOf', args: ['0x000000000000000000000000000000000000dEaD'] },
  ],
})
assert.deepEqual(results.map((r) => r.status), ['success', 'success', 'success', 'success'])
assert.equal(results[0].result, 'Salted')
assert.equal(results[1].result, 'SLT')
assert.equal(results[2].result, 1000n)
assert.equal(results[3].result, 0n)
assert.equal(calls, 1, `the four reads are one eth_call through Multicall3 (saw ${calls})`)

const multicall3 = parseAbi(['function getBlockNumber() view returns (uint256)', 'function getChainId() view returns (uint256)'])
const number = await client.readContract({ address: MULTICALL3, abi: multicall3, functionName: 'getBlockNumber' })
assert.ok(number > 0n)
const id = await client.readContract({ address: MULTICALL3, abi: multicall3, functionName: 'getChainId' })
assert.equal(id, BigInt(chainId))
console.log(`viem-multicall: 4 reads in one eth_call through Multicall3 at ${MULTICALL3}; OK`)
