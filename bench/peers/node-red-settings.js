// Node-RED settings for bench/compare.py. The script starts Node-RED with
// --userDir (a folder under bench/.peers) and --port; everything else is here.
// Flows stay in memory apart from the flows file; context uses the default
// in-memory store, so nothing is written per message.
module.exports = {
    flowFile: "flows.json",
    uiHost: "127.0.0.1",
    credentialSecret: false,
    // No network beyond loopback: no telemetry, no update checks, no palette installs.
    telemetry: { enabled: false, updateNotification: false },
    diagnostics: { enabled: false, ui: false },
    externalModules: { autoInstall: false, palette: { allowInstall: false } },
    logging: { console: { level: "warn", metrics: false, audit: false } },
    editorTheme: { tours: false, projects: { enabled: false } },
};
