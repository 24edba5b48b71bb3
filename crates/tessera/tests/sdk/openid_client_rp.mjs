// A relying party built with `openid-client` against Tessera, in two steps (the test's
// browser signs in between them):
//   node openid_client_rp.mjs start  ISSUER CLIENT SECRET REDIRECT_URI
//     -> {"url": authorization URL, "verifier", "nonce", "state"}
//   node openid_client_rp.mjs finish ISSUER CLIENT SECRET CALLBACK_URL VERIFIER NONCE STATE POST_LOGOUT_URI
//     -> the tokens, the validated ID token claims, UserInfo, the refreshed tokens, and the
//        RP-initiated logout URL built by the library.
import * as client from 'openid-client';

const [step, issuer, clientId, secret, ...rest] = process.argv.slice(2);
// The server listens on a random port (TESSERA_BASE) while its issuer is its configured
// public URL: requests to the issuer's URLs go to the port, as a reverse proxy would send them.
const base = process.env.TESSERA_BASE;
const proxied = (url, options) => fetch(String(url).replace(issuer, base), options);
const config = await client.discovery(new URL(issuer), clientId, secret, undefined, {
  execute: [client.allowInsecureRequests],
  [client.customFetch]: proxied,
});
config[client.customFetch] = proxied;
const out = (v) => process.stdout.write(JSON.stringify(v) + '\n');

if (step === 'start') {
  const [redirectUri] = rest;
  const verifier = client.randomPKCECodeVerifier();
  const nonce = client.randomNonce();
  const state = client.randomState();
  const url = client.buildAuthorizationUrl(config, {
    redirect_uri: redirectUri,
    scope: 'openid profile email',
    code_challenge: await client.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
    nonce,
    state,
  });
  out({ url: url.href, verifier, nonce, state, end_session_endpoint: config.serverMetadata().end_session_endpoint });
} else {
  const [callback, verifier, nonce, state, postLogout] = rest;
  const tokens = await client.authorizationCodeGrant(config, new URL(callback), {
    pkceCodeVerifier: verifier,
    expectedNonce: nonce,
    expectedState: state,
    idTokenExpected: true,
  });
  const claims = tokens.claims();
  const userinfo = await client.fetchUserInfo(config, tokens.access_token, claims.sub);
  const refreshed = await client.refreshTokenGrant(config, tokens.refresh_token);
  const logout = client.buildEndSessionUrl(config, {
    id_token_hint: tokens.id_token,
    post_logout_redirect_uri: postLogout,
    state: 'bye-state',
  });
  out({
    id_token: tokens.id_token,
    access_token: tokens.access_token,
    claims,
    userinfo,
    refreshed_access_token: refreshed.access_token,
    logout_url: logout.href,
  });
}
