// End-to-end ERC-20 check of an Ethereum JSON-RPC node with viem.
//
// Usage: node e2e/viem-erc20.mjs <rpc-url>
//
// Prerequisites: scripts/setup-tools.sh (installs viem into .tools), and the
// Token artifact built by `forge build` in e2e/erc20 (e2e/foundry-erc20.sh
// does that, or: cd e2e/erc20 && forge build). Needs dev account 0 of the
// "test test ... junk" mnemonic to hold ETH on the node.
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

const rpcUrl = process.argv[2]
if (!rpcUrl) {
  console.error('usage: node e2e/viem-erc20.mjs <rpc-url>')
  process.exit(2)
}

// viem lives in .tools/node_modules (not a repo-level node_modules), so load
// it from there; MOSAIC_TOOLS (set by scripts/tools-env.sh) may override.
const repo = fileURLToPath(new URL('..', import.meta.url))
const tools = process.env.MOSAIC_TOOLS ?? join(repo, '.tools')
const require = createRequire(join(tools, 'package.json'))
let viem, accounts
try {
  viem = require('viem')
  accounts = require('viem/accounts')
} catch (e) {
  console.error(`viem-erc20: FAIL: cannot load viem from ${tools} (run scripts/setup-tools.sh): ${e.message}`)
  process.exit(1)
}
const {
  createPublicClient, createWalletClient, defineChain, http, encodeFunctionData,
  getAddress, BaseError, ContractFunctionRevertedError,
} = viem

const KEY0 = '0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80'
const ACCT1 = '0x70997970C51812dc3A010C7d01b50e0d17dc79C8'
const SUPPLY = 1_000_000n * 10n ** 18n
const SENT = 250n * 10n ** 18n
const APPROVED = 100n * 10n ** 18n
const step = (msg) => console.log(`viem-erc20: ${msg}`)

function loadArtifact() {
  const path = join(repo, 'e2e/erc20/out/Token.sol/Token.json')
  let json
  try {
    json = JSON.parse(readFileSync(path, 'utf8'))
  } catch (e) {
    throw new Error(`cannot read ${path} (run forge build in e2e/erc20 first): ${e.message}`)
  }
  return { abi: json.abi, bytecode: json.bytecode.object, deployedBytecode: json.deployedBytecode.object }
}

async function main() {
  const { abi, bytecode, deployedBytecode } = loadArtifact()
  const transport = http(rpcUrl, { timeout: 30_000, retryCount: 0 })

  // The chain object is built from the node itself so nothing assumes a chain id.
  const chainId = await createPublicClient({ transport }).getChainId()
  const chain = defineChain({
    id: chainId,
    name: `e2e-${chainId}`,
    nativeCurrency: { name: 'Ether', symbol: 'ETH', decimals: 18 },
    rpcUrls: { default: { http: [rpcUrl] } },
  })
  const publicClient = createPublicClient({ chain, transport, pollingInterval: 200 })
  const account = accounts.privateKeyToAccount(KEY0)
  const wallet = createWalletClient({ account, chain, transport })
  const ACCT0 = account.address
  step(`node at ${rpcUrl}, chain id ${chainId}, block ${await publicClient.getBlockNumber()}`)
  assert.ok((await publicClient.getBalance({ address: ACCT0 })) > 0n, `dev account 0 (${ACCT0}) has no ETH`)

  const mined = async (hash) => {
    const receipt = await publicClient.waitForTransactionReceipt({ hash, timeout: 60_000 })
    assert.equal(receipt.transactionHash, hash)
    return receipt
  }

  // --- deploy (EIP-1559) -------------------------------------------------------
  const deployHash = await wallet.deployContract({ abi, bytecode, args: ['Viem Token', 'VTK', SUPPLY] })
  const deployReceipt = await mined(deployHash)
  assert.equal(deployReceipt.status, 'success', 'deploy status')
  const token = getAddress(deployReceipt.contractAddress)
  assert.equal(await publicClient.getCode({ address: token }), deployedBytecode, 'deployed code != artifact')
  step(`deployed Token at ${token} (tx ${deployHash})`)

  const contract = { address: token, abi }
  const read = (functionName, args = []) => publicClient.readContract({ ...contract, functionName, args })
  assert.equal(await read('name'), 'Viem Token')
  assert.equal(await read('symbol'), 'VTK')
  assert.equal(await read('decimals'), 18)
  assert.equal(await read('totalSupply'), SUPPLY)
  assert.equal(await read('balanceOf', [ACCT0]), SUPPLY)

  // --- transfer (EIP-1559) -----------------------------------------------------
  const gasEstimate = await publicClient.estimateContractGas({
    ...contract, functionName: 'transfer', args: [ACCT1, SENT], account,
  })
  assert.ok(gasEstimate > 21_000n && gasEstimate < 200_000n, `odd transfer gas estimate ${gasEstimate}`)
  const transferHash = await wallet.writeContract({ ...contract, functionName: 'transfer', args: [ACCT1, SENT] })
  const receipt = await mined(transferHash)
  assert.equal(receipt.status, 'success', 'transfer status')
  assert.ok(receipt.gasUsed <= gasEstimate, `gasUsed ${receipt.gasUsed} > estimate ${gasEstimate}`)
  assert.equal(await read('balanceOf', [ACCT0]), SUPPLY - SENT)
  assert.equal(await read('balanceOf', [ACCT1]), SENT)
  step(`transferred ${SENT} to account 1 (tx ${transferHash}, gas ${receipt.gasUsed}/${gasEstimate} estimated)`)

  const tx = await publicClient.getTransaction({ hash: transferHash })
  assert.equal(tx.type, 'eip1559')
  assert.equal(tx.chainId, chainId)
  assert.equal(getAddress(tx.from), ACCT0)
  assert.equal(getAddress(tx.to), token)
  assert.equal(tx.input, encodeFunctionData({ abi, functionName: 'transfer', args: [ACCT1, SENT] }))
  assert.equal(tx.blockHash, receipt.blockHash)

  const block = await publicClient.getBlock({ blockNumber: receipt.blockNumber })
  assert.equal(block.hash, receipt.blockHash)
  assert.equal(block.number, receipt.blockNumber)
  assert.ok(block.transactions.includes(transferHash), 'block does not list the transfer')
  assert.ok((await publicClient.getBlock()).number >= block.number, 'latest block is behind')

  // The Transfer event via eth_getLogs, filtered on the indexed `to` topic.
  const events = await publicClient.getContractEvents({
    ...contract, eventName: 'Transfer', args: { to: ACCT1 },
    fromBlock: deployReceipt.blockNumber, toBlock: receipt.blockNumber,
  })
  assert.equal(events.length, 1, `expected 1 Transfer to account 1, got ${events.length}`)
  assert.deepEqual(events[0].args, { from: ACCT0, to: getAddress(ACCT1), value: SENT })
  assert.equal(events[0].transactionHash, transferHash)
  assert.equal(events[0].blockNumber, receipt.blockNumber)
  // Without a topic filter the mint from the constructor shows up too.
  const all = await publicClient.getContractEvents({
    ...contract, eventName: 'Transfer', fromBlock: deployReceipt.blockNumber, toBlock: receipt.blockNumber,
  })
  assert.deepEqual(all.map((e) => e.args.value), [SUPPLY, SENT])

  // --- approve (legacy tx) -----------------------------------------------------
  const approveHash = await wallet.writeContract({
    ...contract, functionName: 'approve', args: [ACCT1, APPROVED], type: 'legacy',
  })
  assert.equal((await mined(approveHash)).status, 'success', 'approve status')
  const approveTx = await publicClient.getTransaction({ hash: approveHash })
  assert.equal(approveTx.type, 'legacy')
  assert.equal(await read('allowance', [ACCT0, ACCT1]), APPROVED)
  const approvals = await publicClient.getLogs({
    address: token, event: abi.find((x) => x.type === 'event' && x.name === 'Approval'),
    args: { owner: ACCT0 }, blockHash: approveTx.blockHash,
  })
  assert.equal(approvals.length, 1)
  assert.deepEqual(approvals[0].args, { owner: ACCT0, spender: getAddress(ACCT1), value: APPROVED })
  step(`approved ${APPROVED} for account 1 (legacy tx ${approveHash})`)

  // --- a transfer exceeding the balance must revert with the contract's error ---
  const tooMuch = SUPPLY * 2n
  try {
    await publicClient.simulateContract({ ...contract, functionName: 'transfer', args: [ACCT1, tooMuch], account })
    assert.fail('simulateContract of an over-balance transfer did not revert')
  } catch (e) {
    if (!(e instanceof BaseError)) throw e
    const revert = e.walk((x) => x instanceof ContractFunctionRevertedError)
    assert.ok(revert, `expected a contract revert, got: ${e.shortMessage}`)
    assert.equal(revert.data?.errorName, 'InsufficientBalance', `wrong revert: ${e.shortMessage}`)
    assert.deepEqual(revert.data.args, [ACCT0, SUPPLY - SENT, tooMuch])
  }
  await assert.rejects(
    publicClient.estimateContractGas({ ...contract, functionName: 'transfer', args: [ACCT1, tooMuch], account }),
    'estimateGas of an over-balance transfer succeeded',
  )
  assert.equal(await read('balanceOf', [ACCT0]), SUPPLY - SENT, 'balance changed by the failed transfer')
  await publicClient.getBlockNumber() // the node still answers
  step('over-balance transfer reverted with InsufficientBalance')
  console.log('viem-erc20: OK')
}

main().catch((e) => {
  // viem errors keep the useful part (e.g. the RPC error) in `details`.
  const msg = e instanceof BaseError ? `${e.shortMessage}${e.details ? ` (${e.details})` : ''}` : e?.message ?? e
  console.error(`viem-erc20: FAIL: ${msg}`)
  if (process.env.E2E_DEBUG) console.error(e)
  process.exit(1)
})
