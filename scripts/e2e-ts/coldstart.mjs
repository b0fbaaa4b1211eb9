// Cold start of mailmcp as the official TypeScript MCP SDK client sees it:
// spawn "mailmcp demo" over stdio, initialize, tools/list (the SDK compiles
// every declared output schema here), call search once (validating its
// structured content), close. Time the whole process, e.g.
//   /usr/bin/time -v node coldstart.mjs /path/to/mailmcp
// Optional second argument: a --toolsets value. Prints the time of each
// step (connect includes starting the demo mail server).
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport, getDefaultEnvironment } from "@modelcontextprotocol/sdk/client/stdio.js";

const [bin = "mailmcp", toolsets] = process.argv.slice(2);
const args = ["demo"];
if (toolsets) args.push("--toolsets", toolsets);
const client = new Client({ name: "mailmcp-coldstart", version: "1.0.0" });
const t0 = performance.now();
await client.connect(new StdioClientTransport({ command: bin, args, env: getDefaultEnvironment(), stderr: "ignore" }));
const t1 = performance.now();
const { tools } = await client.listTools();
const t2 = performance.now();
const res = await client.callTool({ name: "search", arguments: { limit: 1 } });
const t3 = performance.now();
await client.close();
if (res.isError || tools.length === 0) {
  console.error("coldstart: unexpected result", JSON.stringify(res).slice(0, 300));
  process.exit(1);
}
const ms = (a, b) => (b - a).toFixed(0);
console.log(`${tools.length} tools; connect ${ms(t0, t1)} ms, tools/list ${ms(t1, t2)} ms, first search ${ms(t2, t3)} ms`);
