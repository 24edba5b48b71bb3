// node-oidc-provider 9.13.3 as the benchmark runs it: the default in-memory adapter, one
// confidential client with the client_credentials grant, opaque access tokens, token
// introspection on. One process (Node is single-threaded).
//   node server.mjs PORT
import Provider from 'oidc-provider';

const port = Number(process.argv[2] || 3000);
const provider = new Provider(`http://127.0.0.1:${port}`, {
  clients: [
    {
      client_id: 'benchclient',
      client_secret: 'bench-secret',
      grant_types: ['client_credentials'],
      response_types: [],
      redirect_uris: [],
      token_endpoint_auth_method: 'client_secret_basic',
    },
  ],
  scopes: ['api'],
  features: {
    devInteractions: { enabled: false },
    clientCredentials: { enabled: true },
    introspection: { enabled: true },
  },
});
// No request logging; errors only.
provider.on('server_error', (ctx, err) => console.error(err));
provider.listen(port, '127.0.0.1', () => console.log(`oidc-provider listening on ${port}`));
