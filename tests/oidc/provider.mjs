// A real OpenID provider for the single sign-on tests: panva's certified `oidc-provider`,
// installed by .ci/ensure-oidc-provider into .ci/oidc/node_modules (nothing is fetched here).
//
//   node tests/oidc/provider.mjs --port 4100 --client-id kaizen --client-secret s3cret \
//        --redirect-uri http://127.0.0.1:8000/console/sign-in/sso/callback \
//        [--id-token-claims] [--accounts accounts.json]
//
// One confidential client (client_secret_basic or _post, authorization code only, PKCE S256
// required). The login page is the provider's development interaction: any password is
// accepted and the login names the account (ACCOUNTS below). Consent never blocks: the
// client's grant is made on the spot (as for a first-party application). By default the
// e-mail and name claims come from the userinfo endpoint only, as the OpenID Connect spec
// says for scope-requested claims when an access token is issued (Okta does this);
// `--id-token-claims` puts them in the ID token too, as Keycloak and Entra ID do.
// Prints one line "listening <issuer>" once it accepts connections; stops on SIGTERM/SIGINT.

import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';

const here = dirname(fileURLToPath(import.meta.url));
const modules = process.env.KAIZEN_OIDC_PROVIDER_DIR || resolve(here, '..', '..', '.ci', 'oidc');
const entry = createRequire(join(modules, 'package.json')).resolve('oidc-provider');
const { default: Provider } = await import(pathToFileURL(entry).href);

const { values: args } = parseArgs({
  options: {
    port: { type: 'string', default: '0' },
    host: { type: 'string', default: '127.0.0.1' },
    'public-host': { type: 'string' },
    'client-id': { type: 'string' },
    'client-secret': { type: 'string' },
    'redirect-uri': { type: 'string', multiple: true },
    'id-token-claims': { type: 'boolean', default: false },
    accounts: { type: 'string' },
  },
});
for (const required of ['client-id', 'client-secret', 'redirect-uri']) {
  if (!args[required]) {
    console.error(`provider.mjs: --${required} is required`);
    process.exit(2);
  }
}

// login -> claims: `--accounts <file.json>` (what the tests write, tests/oidc/provider.py), or
// these. `known` matches a person the tests create; `stranger` matches nobody; `unverified` has
// the known person's address, which the provider did not verify.
const ACCOUNTS = args.accounts ? JSON.parse(readFileSync(args.accounts, 'utf8')) : {
  known: { email: 'mei.chan@example.test', email_verified: true, name: 'Mei Chan' },
  stranger: { email: 'new.comer@example.test', email_verified: true, name: 'New Comer' },
  unverified: { email: 'mei.chan@example.test', email_verified: false, name: 'Not Mei' },
};

// The port is the one the system gave (`--port 0`, the default), so no two runs collide; the
// issuer is known only once the socket is bound, so the provider is made then.
const server = createServer();
await new Promise((done) => server.listen(Number(args.port), args.host, done));
// `--public-host localhost` names it otherwise than the console's 127.0.0.1: another site, as a
// real provider is, so the browser treats the redirect back as the cross-site navigation it is.
const issuer = `http://${args['public-host'] || args.host}:${server.address().port}`;
const clientId = args['client-id'];

const provider = new Provider(issuer, {
  clients: [
    {
      client_id: clientId,
      client_secret: args['client-secret'],
      redirect_uris: args['redirect-uri'],
      grant_types: ['authorization_code'],
      response_types: ['code'],
      token_endpoint_auth_method: 'client_secret_basic',
    },
  ],
  clientAuthMethods: ['client_secret_basic', 'client_secret_post'],
  pkce: { required: () => true },
  scopes: ['openid', 'email', 'profile'],
  claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name'] },
  conformIdTokenClaims: !args['id-token-claims'],
  features: { devInteractions: { enabled: true } },
  cookies: { keys: ['kaizen-desk-test-provider-only'] },
  async findAccount(_ctx, sub) {
    const account = Object.hasOwn(ACCOUNTS, sub) ? ACCOUNTS[sub] : undefined;
    if (!account) return undefined;
    return { accountId: sub, async claims() { return { sub, ...account }; } };
  },
  async loadExistingGrant(ctx) {
    // Consent is implied for this client: the grant covers what it asks for.
    const grantId = ctx.oidc.result?.consent?.grantId || ctx.oidc.session.grantIdFor(ctx.oidc.client.clientId);
    if (grantId) return ctx.oidc.provider.Grant.find(grantId);
    const grant = new ctx.oidc.provider.Grant({ clientId: ctx.oidc.client.clientId, accountId: ctx.oidc.session.accountId });
    grant.addOIDCScope('openid email profile');
    grant.addOIDCClaims(['email', 'email_verified', 'name']);
    await grant.save();
    return grant;
  },
});
provider.on('server_error', (_ctx, error) => console.error('provider server_error', error));

server.on('request', provider.callback());
console.log(`listening ${issuer}`);

for (const signal of ['SIGTERM', 'SIGINT']) {
  process.on(signal, () => {
    server.closeAllConnections();
    process.exit(0);
  });
}
