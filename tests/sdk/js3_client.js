#!/usr/bin/env node
'use strict';
// The seed's JavaScript SDK (npm `ringcentral` 3.3.0), unchanged, driven through its public
// API the way an app written from the seed's quick start uses it. See common.js for usage.
const RingCentral = require('ringcentral');
const {parseOptions, describeRequest, runPlan, report} = require('./common');

async function main() {
    const options = parseOptions(process.argv.slice(2));
    const sdk = new RingCentral({
        server: options.server,
        appKey: options.clientId,
        appSecret: options.clientSecret,
        redirectUri: options.redirectUri,
    });
    const platform = sdk.platform();

    if (options.command === 'login-url') {
        // JS3 has no PKCE: its URL always carries state, brand_id, display and prompt.
        const {redirectUri, state} = options;
        report({loginUrl: platform.loginUrl({redirectUri, state})});
        return;
    }

    const traffic = [];
    const client = platform.client();
    const record = apiResponse => {
        const request = apiResponse.request();
        const response = apiResponse.response();
        const status = response ? response.status : null;
        traffic.push(describeRequest(request, request.originalBody, status));
    };
    client.on(client.events.requestSuccess, record);
    client.on(client.events.requestError, e => e.apiResponse && record(e.apiResponse));

    const adapter = {
        login: () => platform.login({code: options.code, redirectUri: options.redirectUri}),
        async get(path, query) {
            const response = await platform.get(path, query);
            return {status: response.response().status, body: response.json()};
        },
        async post(path, body) {
            const response = await platform.post(path, body);
            return {status: response.response().status, body: response.json()};
        },
        refresh: () => platform.refresh(),
        async logout() {
            const response = await platform.logout();
            return response ? response.response().status : null;
        },
        authData: () => platform.auth().data(),
        setAuthData: data => platform.auth().setData(data),
        errorStatus(e) {
            const response = e.apiResponse && e.apiResponse.response();
            return response ? response.status : null;
        },
    };
    const steps = await runPlan(adapter, options);
    report({sdk: `ringcentral ${RingCentral.version}`, steps, traffic});
}

main().catch(e => {
    process.stderr.write(`${e.stack || e}\n`);
    process.exit(1);
});
