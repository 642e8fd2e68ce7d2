import hre from "hardhat";
import { time } from "@nomicfoundation/hardhat-network-helpers";
import { StandardMerkleTree } from "@openzeppelin/merkle-tree";
import { getAddress, keccak256, toHex, type Hex, type Address } from "viem";
async function main() {
  const [admin, poster, guardian, payer, relayer] = await hre.viem.getWalletClients();
  const pc = await hre.viem.getPublicClient();
  const s = await hre.viem.deployContract("RoyaltySplitter", [0, admin.account.address, poster.account.address, guardian.account.address, 86400]);
  const t = await hre.viem.deployContract("MockERC20", ["A", "A"]);
  await s.write.setTokenAllowed([t.address, true]);
  await t.write.mint([payer.account.address, 10n**30n]);
  await t.write.approve([s.address, 10n**30n], { account: payer.account });
  await s.write.deposit([keccak256("0x01"), t.address, 10n**30n], { account: payer.account });
  const n = Number(process.env.N ?? 65536);
  const leaves: [Address, Address, bigint][] = [];
  for (let i = 0; i < n; i++) leaves.push([getAddress(keccak256(toHex(i)).slice(0, 42)), t.address, 123456789012345678901n + BigInt(i)]);
  const tree = StandardMerkleTree.of(leaves, ["address", "address", "uint256"]);
  await s.write.proposeRoot([tree.root as Hex, keccak256("0x02"), 1, [{ token: t.address, total: 10n**29n }]], { account: poster.account });
  await time.increase(86400);
  const [a, tok, amt] = tree.at(5)!;
  const hash = await s.write.claim([a, tok, amt, tree.getProof(5) as Hex[]], { account: relayer.account });
  const r = await pc.waitForTransactionReceipt({ hash });
  const tx = await pc.getTransaction({ hash });
  const data = Buffer.from(tx.input.slice(2), "hex");
  let z = 0; for (const b of data) if (b === 0) z++;
  const intrinsic = 21000 + z * 4 + (data.length - z) * 16;
  console.log("gasUsed", r.gasUsed, "calldata bytes", data.length, "zero", z, "intrinsic", intrinsic);
  const trace: any = await hre.network.provider.send("debug_traceTransaction", [hash, { disableStack: false, disableMemory: true, disableStorage: true }]);
  const byOp: Record<string, number> = {};
  const logs = trace.structLogs;
  for (let i = 0; i < logs.length; i++) {
    const l = logs[i];
    let cost = l.gasCost;
    if (["CALL","STATICCALL","DELEGATECALL"].includes(l.op) && logs[i+1] && logs[i+1].depth > l.depth) cost = l.gas - logs[i+1].gas; // only the call overhead
    const key = l.depth > 1 ? "sub:" + l.op : l.op;
    byOp[key] = (byOp[key] ?? 0) + cost;
  }
  const sorted = Object.entries(byOp).sort((a, b) => b[1] - a[1]);
  let total = 0; for (const [, v] of sorted) total += v;
  console.log("exec total", total, "steps", logs.length);
  console.log(sorted.slice(0, 40).map(([k, v]) => `${k}:${v}`).join("  "));
  let d1=0, d2=0, sub=0; const heavy=new Set(["SLOAD","SSTORE","LOG3","LOG1","LOG2","LOG4","CALL","STATICCALL"]);
  for (let i=0;i<logs.length;i++){const l=logs[i]; if(heavy.has(l.op)) continue; if(l.depth===1) d1+=l.gasCost; else d2+=l.gasCost;}
  const calls = logs.map((l:any,i:number)=>({l,i})).filter(({l}:any)=>["CALL","STATICCALL"].includes(l.op)).map(({l,i}:any)=>`${l.op}@${i} cost=${l.gasCost} gas=${l.gas} next=${logs[i+1]?.gas}`);
  console.log("depth1 light ops", d1, "depth2 light ops", d2, calls);
  let pcs: string[] = []; for (const l of logs) if (l.depth===1) pcs.push(l.op);
  require("fs").writeFileSync("/tmp/ops.txt", logs.filter((l:any)=>l.depth===1).map((l:any)=>`${l.pc} ${l.op} ${l.gasCost} ${l.gas}`).join("\n"));
  const sloads = logs.filter((l: any) => l.op === "SLOAD" || l.op === "SSTORE").map((l: any) => `${l.depth}:${l.op}:${l.gasCost}`);
  console.log(sloads.join(" "));
}
main();
