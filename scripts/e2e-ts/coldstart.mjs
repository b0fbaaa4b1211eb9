// Cold start of mailmcp as the official TypeScript MCP SDK client sees it:
// spawn "mailmcp demo" over stdio, initialize, tools/list (the SDK compiles
// every declared output schema here), call search once (validating its
// structured content), close. Time the whole process, e.g.
//   /usr/bin/time -v node coldstart.mjs /path/to/mailmcp
// Optional second argument: a --toolsets value.
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport, getDefaultEnvironment } from "@modelcontextprotocol/sdk/client/stdio.js";

const [bin = "mailmcp", toolsets] = process.argv.slice(2);
const args = ["demo"];
if (toolsets) args.push("--toolsets", toolsets);
const client = new Client({ name: "mailmcp-coldstart", version: "1.0.0" });
await client.connect(new StdioClientTransport({ command: bin, args, env: getDefaultEnvironment(), stderr: "ignore" }));
const { tools } = await client.listTools();
const res = await client.callTool({ name: "search", arguments: { limit: 1 } });
await client.close();
if (res.isError || tools.length === 0) {
  console.error("coldstart: unexpected result", JSON.stringify(res).slice(0, 300));
  process.exit(1);
}
console.log(`${tools.length} tools`);
