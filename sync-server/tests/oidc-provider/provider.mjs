// A real OpenID Connect provider for the sync server's tests: panva's oidc-provider on
// 127.0.0.1 (a free port), with its development login pages (any login, any password; the
// login is the account's email). It prints one JSON line, {"issuer": URL}, once it listens.
//
// Environment: OIDC_REDIRECT_URI (the sync server's callback), OIDC_CLIENT_SECRET, and
// OIDC_CONFORM_ID_TOKEN_CLAIMS=1 for ID tokens without the profile claims.
//
// Clients: `revlens` behaves. The others stand for a broken or hostile provider, so the server's
// ID-token checks can be seen to refuse: their ID tokens are rewritten after the token endpoint
// has made them — `revlens-wrong-aud` (another audience), `revlens-wrong-nonce` (another nonce),
// `revlens-expired` (exp in the past) re-signed with the provider's own key, and
// `revlens-bad-signature` (a changed email under the original signature).
import http from 'node:http';
import { generateKeyPair, exportJWK, SignJWT, decodeJwt, decodeProtectedHeader } from 'jose';
import Provider from 'oidc-provider';

const redirectUri = process.env.OIDC_REDIRECT_URI;
const clientSecret = process.env.OIDC_CLIENT_SECRET;
if (!redirectUri || !clientSecret) {
  console.error('OIDC_REDIRECT_URI and OIDC_CLIENT_SECRET are required');
  process.exit(2);
}

const { privateKey } = await generateKeyPair('RS256', { extractable: true });
const jwk = { ...(await exportJWK(privateKey)), kid: 'test-key', use: 'sig', alg: 'RS256' };

const clientIds = ['revlens', 'revlens-wrong-aud', 'revlens-wrong-nonce', 'revlens-expired', 'revlens-bad-signature'];
const server = http.createServer();
await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
const issuer = `http://127.0.0.1:${server.address().port}`;

const provider = new Provider(issuer, {
  clients: clientIds.map((client_id) => ({
    client_id,
    client_secret: clientSecret,
    redirect_uris: [redirectUri],
    grant_types: ['authorization_code'],
    response_types: ['code'],
    token_endpoint_auth_method: 'client_secret_basic',
  })),
  jwks: { keys: [jwk] },
  cookies: { keys: ['revlens-test-cookie-key'] },
  claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name'] },
  pkce: { required: () => true },
  // The scopes' claims (email, email_verified, name) go into the ID token, as most providers do;
  // OIDC_CONFORM_ID_TOKEN_CLAIMS=1 keeps them for the userinfo endpoint only (OIDC Core 5.4).
  conformIdTokenClaims: process.env.OIDC_CONFORM_ID_TOKEN_CLAIMS === '1',
  features: { devInteractions: { enabled: true } },
  async findAccount(_ctx, id) {
    return {
      accountId: id,
      async claims() {
        // `+unverified` in the login makes an address the provider has not verified.
        return { sub: `subject-${id}`, email: id, email_verified: !id.includes('+unverified'), name: id.split('@')[0] };
      },
    };
  },
});

async function resign(idToken, change) {
  const header = decodeProtectedHeader(idToken);
  const claims = change(decodeJwt(idToken));
  return new SignJWT(claims).setProtectedHeader({ alg: header.alg, kid: header.kid, typ: header.typ }).sign(privateKey);
}

provider.use(async (ctx, next) => {
  await next();
  const clientId = ctx.oidc?.client?.clientId;
  const idToken = ctx.path === '/token' && ctx.body && typeof ctx.body === 'object' ? ctx.body.id_token : undefined;
  if (!idToken || !clientId || clientId === 'revlens') return;
  if (clientId === 'revlens-wrong-aud') {
    ctx.body.id_token = await resign(idToken, (c) => ({ ...c, aud: 'someone-else' }));
  } else if (clientId === 'revlens-wrong-nonce') {
    ctx.body.id_token = await resign(idToken, (c) => ({ ...c, nonce: 'not-the-nonce-that-was-sent' }));
  } else if (clientId === 'revlens-expired') {
    const now = Math.floor(Date.now() / 1000);
    ctx.body.id_token = await resign(idToken, (c) => ({ ...c, iat: now - 7200, exp: now - 3600 }));
  } else if (clientId === 'revlens-bad-signature') {
    const [h, p, s] = idToken.split('.');
    const claims = JSON.parse(Buffer.from(p, 'base64url').toString());
    claims.email = 'someone-else@example.com';
    ctx.body.id_token = [h, Buffer.from(JSON.stringify(claims)).toString('base64url'), s].join('.');
  }
});

server.on('request', provider.callback());
process.stdout.write(`${JSON.stringify({ issuer })}\n`);
// Ends with the test: the test closes standard input (or kills the process) when it is done.
process.stdin.on('end', () => process.exit(0));
process.stdin.resume();
