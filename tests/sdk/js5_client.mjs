#!/usr/bin/env node
// The current RingCentral JavaScript SDK (npm `@ringcentral/sdk` 5.x), unchanged, driven
// through its public API as a server-side app would use it. See common.js for usage.
import ringcentral from '@ringcentral/sdk';
import common from './common.js';

const {SDK} = ringcentral;
const {parseOptions, describeRequest, runPlan, report} = common;

async function main() {
    const options = parseOptions(process.argv.slice(2));
    const sdk = new SDK({
        server: options.server,
        clientId: options.clientId,
        clientSecret: options.clientSecret,
        redirectUri: options.redirectUri,
    });
    const platform = sdk.platform();

    if (options.command === 'login-url') {
        const loginUrl = platform.loginUrl({
            redirectUri: options.redirectUri,
            state: options.state,
            usePKCE: options.pkce,
        });
        // The SDK keeps the verifier on this (per-process) instance; a server app keeps it
        // per user and hands it back to login(), which is what `run --code-verifier` does.
        report({loginUrl, codeVerifier: platform.codeVerifier});
        return;
    }

    const traffic = [];
    const client = sdk.client();
    client.on(client.events.requestSuccess, (response, request) => {
        traffic.push(describeRequest(request, request.originalBody, response.status));
    });
    client.on(client.events.requestError, e => {
        if (e.request) {
            const status = e.response ? e.response.status : null;
            traffic.push(describeRequest(e.request, e.request.originalBody, status));
        }
    });

    const adapter = {
        login: () =>
            platform.login({
                code: options.code,
                redirect_uri: options.redirectUri,
                code_verifier: options.codeVerifier || undefined,
            }),
        async get(path, query) {
            const response = await platform.get(path, query);
            return {status: response.status, body: await response.json()};
        },
        async post(path, body) {
            const response = await platform.post(path, body);
            return {status: response.status, body: await response.json()};
        },
        refresh: () => platform.refresh(),
        async logout() {
            const response = await platform.logout();
            return response ? response.status : null;
        },
        authData: () => platform.auth().data(),
        setAuthData: data => platform.auth().setData(data),
        errorStatus: e => (e.response ? e.response.status : null),
    };
    const steps = await runPlan(adapter, options);
    report({sdk: `@ringcentral/sdk ${SDK.version}`, steps, traffic});
}

main().catch(e => {
    process.stderr.write(`${e.stack || e}\n`);
    process.exit(1);
});
