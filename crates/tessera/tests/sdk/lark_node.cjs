// Drives the official Feishu/Lark Node SDK (@larksuiteoapi/node-sdk) against a Tessera server.
// Usage: node lark_node.cjs BASE_URL   (NODE_PATH points at the SDK's node_modules)
// Prints one JSON object with what each call answered.
const lark = require('@larksuiteoapi/node-sdk');

const base = process.argv[2];
// The SDK logs failed requests on standard output; keep that clear for the result.
const quiet = { error() {}, warn() {}, info() {}, debug() {}, trace() {} };
const client = (appId, appSecret) => new lark.Client({ appId, appSecret, domain: base, logger: quiet });

async function attempt(f) {
  try {
    return { ok: true, body: await f() };
  } catch (e) {
    return { ok: false, status: e.response ? e.response.status : null, body: e.response ? e.response.data : null, text: String(e) };
  }
}

const send = (c) =>
  c.im.v1.message.create({
    params: { receive_id_type: 'open_id' },
    data: { receive_id: 'bob-union', msg_type: 'text', content: JSON.stringify({ text: 'hello' }) },
  });

(async () => {
  const out = {};
  const bot = client('cli_feishudemo', 'feishu-secret');
  out.message = await attempt(() => send(bot));
  out.get_user = await attempt(() =>
    bot.contact.v3.user.get({ path: { user_id: 'alice' }, params: { user_id_type: 'user_id' } }),
  );
  out.scope_error = await attempt(() => send(client('dingreadonly', 'readonly-secret')));
  // The SDK's token cache is keyed by app id across clients: use an app not fetched above.
  out.bad_secret = await attempt(() => send(client('dingbasic', 'wrong')));
  process.stdout.write(JSON.stringify(out));
})();
