// A Feishu store app's event receiver built on the official Node SDK's EventDispatcher, as a
// store app would run it: `/plain` checks the verification token, `/encrypted` also decrypts
// and checks the signature with the encrypt key. The SDK's built-in app_ticket handler caches
// each pushed ticket; after every request this prints the cached ticket as a JSON line.
// On the line "call" from standard input, a store-app (ISV) client calls an API for a tenant,
// which makes the SDK fetch app_access_token with the cached ticket, then a tenant token.
// Usage: node lark_ticket_receiver.cjs BASE_URL PORT VERIFICATION_TOKEN ENCRYPT_KEY
const http = require('http');
const readline = require('readline');
const lark = require('@larksuiteoapi/node-sdk');

const [base, port, verificationToken, encryptKey] = process.argv.slice(2);
const quiet = { error() {}, warn() {}, info() {}, debug() {}, trace() {} };
const print = (o) => process.stdout.write(JSON.stringify(o) + '\n');
const ticket = () => lark.internalCache.get(lark.CAppTicket, { namespace: 'suitedemo' });

const dispatchers = {
  '/plain': new lark.EventDispatcher({ verificationToken, logger: quiet }),
  '/encrypted': new lark.EventDispatcher({ verificationToken, encryptKey, logger: quiet }),
};
const server = http.createServer((req, res) => {
  const dispatcher = dispatchers[req.url];
  if (!dispatcher) {
    res.statusCode = 404;
    return res.end();
  }
  res.on('finish', async () => print({ path: req.url, ticket: (await ticket()) || null }));
  lark.adaptDefault(req.url, dispatcher)(req, res);
});
server.listen(Number(port), '127.0.0.1', () => print({ listening: true }));

readline.createInterface({ input: process.stdin }).on('line', async (line) => {
  if (line.trim() !== 'call') return;
  const client = new lark.Client({
    appId: 'suitedemo',
    appSecret: 'suite-secret',
    appType: lark.AppType.ISV,
    domain: base,
    logger: quiet,
  });
  const requests = [];
  client.httpInstance.interceptors.request.use((config) => {
    requests.push({ url: config.url.replace(base, ''), app_ticket: (config.data && config.data.app_ticket) || null });
    return config;
  });
  try {
    const r = await client.contact.v3.user.get(
      { path: { user_id: 'carol' }, params: { user_id_type: 'user_id' } },
      lark.withTenantKey('dingother'),
    );
    print({ call: { ok: true, code: r.code, name: r.data.user.name }, requests });
  } catch (e) {
    print({ call: { ok: false, text: String(e) }, requests });
  }
  server.close();
  process.exit(0);
});
