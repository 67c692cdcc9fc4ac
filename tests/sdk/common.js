'use strict';
// Shared by js3_client.js and js5_client.mjs: the command line, the plan runner and the
// one-line JSON report that tests/sdk/test_js_sdks.py reads. Each script supplies an
// adapter that drives its SDK, unchanged, through the SDK's public API only.
const {parseArgs} = require('node:util');

const USAGE = `usage: node SCRIPT login-url --server URL --client-id ID --redirect-uri URI
                             [--state S] [--pkce]
       node SCRIPT run --server URL --client-id ID --redirect-uri URI --code CODE
                       [--code-verifier V] [--plan JSON]
Give values that may begin with "-" (codes, verifiers) as --name=value.
The client secret comes from the environment: RINGCENTRAL_CLIENT_SECRET (unset or empty
means a public client). The plan is a JSON list of steps:
  {"do": "login"} | {"do": "get", "path": P, "query": {...}} | {"do": "refresh"} |
  {"do": "post", "path": P, "body": {...}} (a JSON body, e.g. a webhook subscription) |
  {"do": "logout"} | {"do": "save"} (keep the SDK's token data, as an app's session does) |
  {"do": "restore"} (hand the saved data back to the SDK, as an app restoring a stale
  session does) | {"do": "control", "name": N, "body": {...}} (POST SERVER/simulator/N: the
  simulator's test controls stand in for time passing, e.g. expire-access-tokens).`;

const DEFAULT_PLAN = [
    {do: 'login'},
    {do: 'get', path: '/restapi/v1.0/account/~/extension', query: {status: 'Enabled', perPage: 5}},
    {do: 'refresh'},
    {do: 'get', path: '/restapi/v1.0/account/~/extension/~/call-log', query: {perPage: 5}},
    {do: 'logout'},
];

// Form fields whose values are credentials: the report only says they were sent.
const SECRET_FIELDS = new Set([
    'code',
    'code_verifier',
    'refresh_token',
    'token',
    'access_token',
    'client_secret',
    'assertion',
    'client_assertion',
]);

function usage(message) {
    process.stderr.write(`${message}\n${USAGE}\n`);
    process.exit(2);
}

function parseOptions(argv) {
    let parsed;
    try {
        parsed = parseArgs({
            args: argv,
            allowPositionals: true,
            options: {
                server: {type: 'string'},
                'client-id': {type: 'string'},
                'redirect-uri': {type: 'string'},
                state: {type: 'string', default: ''},
                pkce: {type: 'boolean', default: false},
                code: {type: 'string'},
                'code-verifier': {type: 'string', default: ''},
                plan: {type: 'string'},
            },
        });
    } catch (e) {
        usage(e.message);
    }
    const {values, positionals} = parsed;
    const command = positionals[0];
    if (positionals.length !== 1 || !['login-url', 'run'].includes(command)) {
        usage('expected exactly one command: login-url or run');
    }
    for (const name of ['server', 'client-id', 'redirect-uri']) {
        if (!values[name]) usage(`--${name} is required`);
    }
    if (command === 'run' && !values.code) usage('--code is required for run');
    let plan = DEFAULT_PLAN;
    if (values.plan) {
        try {
            plan = JSON.parse(values.plan);
        } catch (e) {
            usage(`--plan is not JSON: ${e.message}`);
        }
        if (!Array.isArray(plan)) usage('--plan must be a JSON list');
    }
    return {
        command,
        server: values.server.replace(/\/+$/, ''),
        clientId: values['client-id'],
        clientSecret: process.env.RINGCENTRAL_CLIENT_SECRET || '',
        redirectUri: values['redirect-uri'],
        state: values.state,
        pkce: values.pkce,
        code: values.code,
        codeVerifier: values['code-verifier'],
        plan,
    };
}

/** What the server saw of one request, with credentials reduced to "sent". */
function describeRequest(request, originalBody, status) {
    const url = new URL(request.url);
    const entry = {
        method: request.method,
        path: url.pathname,
        query: url.search.replace(/^\?/, ''),
        status,
        auth: (request.headers.get('authorization') || '').split(' ')[0],
    };
    if (typeof originalBody === 'string' && originalBody && !originalBody.startsWith('{')) {
        entry.form = {};
        for (const [key, value] of new URLSearchParams(originalBody)) {
            entry.form[key] = SECRET_FIELDS.has(key) ? value !== '' : value;
        }
    }
    return entry;
}

/** Facts about the stored token data that a person debugging would look at (no tokens). */
function tokenFacts(data, previous) {
    const facts = {
        tokenType: data.token_type,
        expiresIn: data.expires_in,
        expiresInType: typeof data.expires_in,
        refreshTokenExpiresIn: data.refresh_token_expires_in,
        refreshTokenExpiresInType: typeof data.refresh_token_expires_in,
        secondsLeft: Math.round((data.expire_time - Date.now()) / 1000),
        ownerId: data.owner_id,
        scope: data.scope,
        hasAccessToken: Boolean(data.access_token),
        hasRefreshToken: Boolean(data.refresh_token),
    };
    if (previous) {
        facts.newAccessToken = data.access_token !== previous.access_token;
        facts.newRefreshToken = data.refresh_token !== previous.refresh_token;
    }
    return facts;
}

/** A simulator test control, called outside the SDK (it is no RingCentral endpoint). */
async function control(server, name, body) {
    const response = await fetch(`${server}/simulator/${name}`, {
        method: 'POST',
        headers: {'Content-Type': 'application/json'},
        body: JSON.stringify(body || {}),
    });
    if (!response.ok) throw new Error(`simulator control ${name} answered ${response.status}`);
    return response.json();
}

/**
 * Run the plan with an adapter: {login(), get(path, query) -> {status, body},
 * post(path, body) -> {status, body}, refresh(),
 * logout() -> status, authData(), setAuthData(data), errorStatus(e)}.
 */
async function runPlan(adapter, options) {
    const steps = [];
    let saved = null;
    for (const step of options.plan) {
        const result = {do: step.do};
        steps.push(result);
        try {
            if (step.do === 'login') {
                await adapter.login();
                Object.assign(result, tokenFacts(await adapter.authData()));
            } else if (step.do === 'get') {
                result.path = step.path;
                result.query = step.query || null;
                Object.assign(result, await adapter.get(step.path, step.query));
            } else if (step.do === 'post') {
                result.path = step.path;
                Object.assign(result, await adapter.post(step.path, step.body));
            } else if (step.do === 'refresh') {
                const before = await adapter.authData();
                await adapter.refresh();
                Object.assign(result, tokenFacts(await adapter.authData(), before));
            } else if (step.do === 'logout') {
                result.status = await adapter.logout();
                result.forgotTokens = !(await adapter.authData()).access_token;
            } else if (step.do === 'save') {
                saved = await adapter.authData();
            } else if (step.do === 'restore') {
                await adapter.setAuthData(saved);
            } else if (step.do === 'control') {
                result.name = step.name;
                result.answer = await control(options.server, step.name, step.body);
            } else {
                throw new Error(`unknown step ${JSON.stringify(step.do)}`);
            }
        } catch (e) {
            result.error = e.message;
            result.status = adapter.errorStatus(e);
            // Both SDKs put the 429's Retry-After, in milliseconds, on the error.
            if (e.retryAfter !== undefined) result.retryAfterMs = e.retryAfter;
        }
    }
    return steps;
}

function report(object) {
    process.stdout.write(`${JSON.stringify(object)}\n`);
}

module.exports = {parseOptions, describeRequest, runPlan, report};
