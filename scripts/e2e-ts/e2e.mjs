// End-to-end test of mailmcp with the official TypeScript MCP SDK client.
//
// Run by cmd/mailmcp's TestTypeScriptSDK, which starts the servers and sets:
//   MAILMCP_BIN       the mailmcp binary to spawn over stdio (with "demo")
//   MAILMCP_BIN_ENV   JSON object of extra environment for that process
//   MAILMCP_URL       streamable HTTP endpoint of a running "demo --http"
//   MAILMCP_TOKEN     the bearer token that endpoint accepts
// Prints one line per check and exits non-zero when any fails.
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport, getDefaultEnvironment } from "@modelcontextprotocol/sdk/client/stdio.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";

const { MAILMCP_BIN, MAILMCP_BIN_ENV, MAILMCP_URL, MAILMCP_TOKEN } = process.env;
let failures = 0;

function check(name, ok, detail = "") {
  console.log(`${ok ? "ok  " : "FAIL"} ${name}${detail ? ": " + detail : ""}`);
  if (!ok) failures++;
}

function withTimeout(promise, ms, what) {
  let timer;
  return Promise.race([
    promise,
    new Promise((_, reject) => { timer = setTimeout(() => reject(new Error(`${what}: no answer in ${ms} ms`)), ms); }),
  ]).finally(() => clearTimeout(timer));
}

// exercise lists the tools, searches the demo INBOX and reads one message.
async function exercise(label, client) {
  const { tools } = await withTimeout(client.listTools(), 15000, "tools/list");
  const names = tools.map((t) => t.name);
  check(`${label} tools/list`, ["search", "fetch_message", "list_accounts"].every((n) => names.includes(n)), `${names.length} tools`);
  const search = tools.find((t) => t.name === "search");
  check(`${label} search has annotations`, search?.annotations?.readOnlyHint === true);

  const res = await withTimeout(client.callTool({ name: "search", arguments: { limit: 5 } }), 15000, "search");
  const msgs = res.structuredContent?.messages ?? [];
  check(`${label} search`, !res.isError && msgs.length > 0, `${msgs.length} messages`);
  if (msgs.length === 0) return;

  const msg = await withTimeout(client.callTool({ name: "fetch_message", arguments: { id: msgs[0].id, max_chars: 2000 } }), 15000, "fetch_message");
  const text = msg.content?.[0]?.text ?? "";
  check(`${label} fetch_message`, !msg.isError && text.includes("EXTERNAL_EMAIL_CONTENT"), `${text.length} chars`);

  const bad = await withTimeout(client.callTool({ name: "search", arguments: { account: "nope" } }), 15000, "search bad account");
  check(`${label} tool error is a result`, bad.isError === true && JSON.stringify(bad.content).includes("demo"));
  // The SDK validated this structured error against search's output schema.
  const err = bad.structuredContent?.error;
  check(`${label} tool error is structured`, typeof err?.kind === "string" && err.kind !== "" && typeof err?.message === "string" && err.message !== "", JSON.stringify(err));

  // Every tool's error result passes the SDK's output-schema validation
  // (which it applies even when isError is set) and carries the error.
  const unstructured = [];
  for (const t of tools) {
    try {
      const r = await withTimeout(client.callTool({ name: t.name, arguments: { no_such_parameter: true } }), 15000, t.name);
      if (r.isError !== true || r.structuredContent?.error?.kind !== "invalid_argument") unstructured.push(t.name);
    } catch (e) {
      unstructured.push(`${t.name} (${e.message})`);
    }
  }
  check(`${label} every tool's error is structured`, unstructured.length === 0, unstructured.join(", "));
}

async function stdio() {
  const transport = new StdioClientTransport({
    command: MAILMCP_BIN,
    args: ["demo"],
    env: { ...getDefaultEnvironment(), ...JSON.parse(MAILMCP_BIN_ENV || "{}") },
    stderr: "pipe",
  });
  let stderr = "";
  transport.stderr?.on("data", (d) => { stderr += d; });
  const client = new Client({ name: "mailmcp-e2e-ts", version: "1.0.0" });
  try {
    await withTimeout(client.connect(transport), 20000, "stdio connect");
    check("stdio initialize", true, client.getServerVersion()?.name);
    await exercise("stdio", client);
  } catch (e) {
    check("stdio", false, `${e.message}\n${stderr}`);
  } finally {
    await client.close();
  }
}

async function http(token) {
  const opts = token ? { requestInit: { headers: { Authorization: `Bearer ${token}` } } } : {};
  const transport = new StreamableHTTPClientTransport(new URL(MAILMCP_URL), opts);
  const client = new Client({ name: "mailmcp-e2e-ts", version: "1.0.0" });
  try {
    await withTimeout(client.connect(transport), 15000, "http connect");
    return client;
  } catch (e) {
    await client.close().catch(() => {});
    throw e;
  }
}

// refused checks that connecting with token fails with 401.
async function refused(name, token) {
  try {
    const client = await http(token);
    await client.close();
    check(name, false, "initialize succeeded");
  } catch (e) {
    check(name, /401|nauthorized/.test(String(e.message) + String(e.code)), e.message);
  }
}

async function main() {
  if (MAILMCP_BIN) await stdio();
  if (MAILMCP_URL) {
    try {
      const client = await http(MAILMCP_TOKEN);
      check("http initialize with token", true, client.getServerVersion()?.name);
      await exercise("http", client);
      await client.close();
    } catch (e) {
      check("http with token", false, e.message);
    }
    await refused("http without token is refused", "");
    await refused("http with a wrong token is refused", MAILMCP_TOKEN + "x");
  }
  console.log(failures === 0 ? "PASS" : `${failures} check(s) failed`);
  process.exit(failures === 0 ? 0 : 1);
}

main().catch((e) => { console.error(e); process.exit(1); });
