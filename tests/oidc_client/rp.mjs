// A relying party built on openid-client (a certified library nobody here wrote), run by
// tests/e2e/test_openid_client.py against regflow on a real port. It prints one JSON
// object with what it saw; the Python test asserts on it.
//
// env: ISSUER, CLIENT_ID, REDIRECT_URI, POST_LOGOUT_REDIRECT_URI, COOKIE (the browser's
// login session, "name=value": the person is signed in at regflow already)
import * as client from 'openid-client'

const env = process.env
const seen = {}
// http://127.0.0.1 in tests; the ID token's signature checked against the JWKS, not only
// trusted for having come over the token endpoint
const options = { execute: [client.allowInsecureRequests, client.enableNonRepudiationChecks] }

// no id_token_signed_response_alg: the library expects RS256, the OpenID Connect default
const metadata = env.ID_TOKEN_ALG ? { id_token_signed_response_alg: env.ID_TOKEN_ALG } : {}
const config = await client.discovery(
  new URL(env.ISSUER),
  env.CLIENT_ID,
  metadata,
  client.None(),
  options,
)
seen.issuer = config.serverMetadata().issuer
seen.id_token_algs = config.serverMetadata().id_token_signing_alg_values_supported
seen.end_session_endpoint = config.serverMetadata().end_session_endpoint

const verifier = client.randomPKCECodeVerifier()
const state = client.randomState()
const nonce = client.randomNonce()
const authorize = client.buildAuthorizationUrl(config, {
  redirect_uri: env.REDIRECT_URI,
  scope: 'openid email profile',
  code_challenge: await client.calculatePKCECodeChallenge(verifier),
  code_challenge_method: 'S256',
  state,
  nonce,
})
// the browser's part: regflow's login session lets it through without a form
const answer = await fetch(authorize, { headers: { cookie: env.COOKIE }, redirect: 'manual' })
const location = answer.headers.get('location')
seen.authorize_status = answer.status
seen.callback = location.split('?')[0]

const tokens = await client.authorizationCodeGrant(config, new URL(location), {
  pkceCodeVerifier: verifier,
  expectedState: state,
  expectedNonce: nonce,
  idTokenExpected: true,
})
const claims = tokens.claims()
seen.id_token_header = JSON.parse(Buffer.from(tokens.id_token.split('.')[0], 'base64url'))
seen.jwks_fetched = Boolean(client.getJwksCache(config)) // fetched to check the signature
seen.id_token = { sub: claims.sub, email: claims.email, org: claims.org,
  org_slug: claims.org_slug, role: claims.role, amr: claims.amr }

const info = await client.fetchUserInfo(config, tokens.access_token, claims.sub)
seen.userinfo = { sub: info.sub, email: info.email, org_slug: info.org_slug, role: info.role }

const refreshed = await client.refreshTokenGrant(config, tokens.refresh_token)
seen.rotated = Boolean(refreshed.refresh_token) && refreshed.refresh_token !== tokens.refresh_token
try {
  await client.refreshTokenGrant(config, tokens.refresh_token)
  seen.replay = 'accepted'
} catch (error) {
  seen.replay = error.error || error.code || String(error)
}
try {
  await client.refreshTokenGrant(config, refreshed.refresh_token)
  seen.family_after_replay = 'alive'
} catch (error) {
  seen.family_after_replay = error.error || error.code || String(error)
}

const logout = client.buildEndSessionUrl(config, {
  id_token_hint: tokens.id_token,
  post_logout_redirect_uri: env.POST_LOGOUT_REDIRECT_URI,
  state: 'bye',
})
const ended = await fetch(logout, { headers: { cookie: env.COOKIE }, redirect: 'manual' })
seen.logout_status = ended.status
seen.logout_location = ended.headers.get('location')
const again = await fetch(authorize, { headers: { cookie: env.COOKIE }, redirect: 'manual' })
seen.after_logout = again.headers.get('location')

console.log(JSON.stringify(seen))
