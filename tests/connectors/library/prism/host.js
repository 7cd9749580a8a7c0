'use strict';
/*
 * Many Prism mocks in one Node process (tests/connectors/library/prism.py starts one per
 * pytest process): starting `prism mock` costs about 2 s of CPU in module loading and JIT
 * before it answers anything, paid once here instead of once per mock.
 *
 * Each mock is built as `prism mock` builds it (prism-cli's dist/util/createServer.js and
 * dist/commands/mock.js, version pinned in package-lock.json): the same operations, the
 * same configuration and the same log lines, written with signale as the CLI prints them,
 * to the mock's own file.
 *
 * Protocol: one JSON object a line on stdin, one answer a line on stdout, in order.
 *   {"op": "start", "document": path, "port": 0, "errors": bool, "dynamic": bool, "log": path}
 *     -> {"id": n, "port": p} once listening on 127.0.0.1:p, or {"error": Prism's message}
 *   {"op": "stop", "id": n} -> {"stopped": n} once its server is closed and its log flushed
 * The host ends when stdin closes (its Python process ended, however it ended).
 */
const fs = require('fs');
const http = require('http');
const readline = require('readline');
const { createRequire } = require('module');

// Prism's modules as the CLI itself resolves them.
const cliRequire = createRequire(require.resolve('@stoplight/prism-cli/package.json'));
const { createLogger } = cliRequire('@stoplight/prism-core');
const { getHttpOperationsFromSpec } = cliRequire('@stoplight/prism-http');
const { createServer } = cliRequire('@stoplight/prism-http-server');
const { configureExtensionsUserProvided } = cliRequire('./dist/extensions');
const { createExamplePath } = cliRequire('./dist/util/paths');
const { attachTagsToParamsValues, transformPathParamsValues } = cliRequire('./dist/util/colorizer');
const { LOG_COLOR_MAP } = cliRequire('./dist/const/options');
const { jsonrepair } = cliRequire('jsonrepair');
const { Signale } = cliRequire('signale');
const chalk = cliRequire('chalk');
const pino = cliRequire('pino');
const E = cliRequire('fp-ts/Either');
const { pipe } = cliRequire('fp-ts/function');

// stdout carries the answers only: whatever else would print there (a library's
// console.log) goes to stderr, which prism.py keeps to show if the host fails.
const answerStream = process.stdout;
const answerWrite = process.stdout.write.bind(process.stdout);
process.stdout.write = process.stderr.write.bind(process.stderr);
function answer(message) {
  answerWrite(JSON.stringify(message) + '\n');
}
answerStream.on('error', () => process.exit(0)); // Python is gone

// createServer.js: the CLI's logger options and its defaults for `prism mock`
// (commands/mock.js, commands/sharedOptions.js): cors on, --verboseLevel info, no seed,
// examples used, no json-schema-faker options.
// (A fresh object each time: prism-core's createLogger fills it in.)
const cliLoggerOptions = () => ({
  customLevels: { start: pino.levels.values['info'] + 1 },
  level: 'info',
  formatters: {
    level: level => ({ level }),
  },
});

const mocks = new Map();
let lastId = 0;

/* A log written straight to the mock's file, one synchronous write a line: what Prism
 * logs while it handles a request is on disk before the answer leaves, and a line logged
 * after the mock stopped is dropped rather than written to a closed file. */
function openLog(path) {
  const log = { fd: fs.openSync(path, 'w') };
  log.write = text => {
    if (log.fd !== null) fs.writeSync(log.fd, text);
  };
  log.close = () => {
    if (log.fd !== null) fs.closeSync(log.fd);
    log.fd = null;
  };
  return log;
}

/* The CLI's pipeOutputToSignale, for one log: pino's JSON lines printed by signale. */
function signaleDestination(signale) {
  function constructPrefix(logLine) {
    const logOptions = LOG_COLOR_MAP[logLine.name] || { index: 0, color: chalk.bgWhiteBright };
    const prefix = '    '
      .repeat(logOptions.index + (logLine.offset || 0))
      .concat(logOptions.color.black(`[${logLine.name}]`));
    return logLine.input
      ? prefix.concat(' ' + chalk.bold.white(`${logLine.input.method} ${logLine.input.url.path}`))
      : prefix;
  }
  function parse(line) {
    try {
      return JSON.parse(line);
    } catch {
      try {
        return JSON.parse(jsonrepair(line));
      } catch {
        signale.await({ prefix: chalk.bgWhiteBright.black('[CLI]'), message: 'Invalid JSON and unable to correct' });
        return undefined;
      }
    }
  }
  return {
    write(chunk) {
      for (const line of String(chunk).split('\n')) {
        if (!line) continue;
        const logLine = parse(line);
        if (logLine === undefined) continue;
        const print = signale[logLine.level] || signale.info;
        print({ prefix: constructPrefix(logLine), message: logLine.msg });
      }
    },
  };
}

/* createServer.js's createPrismServerWithLogger, with the mock's http.Server kept so that
 * stopping it can close its open connections (as the CLI's process ending did). */
async function createPrismServer(options, logInstance) {
  const operations = await getHttpOperationsFromSpec(options.document);
  await configureExtensionsUserProvided(options.document, { fillProperties: undefined });
  if (operations.length === 0) {
    throw new Error('No operations found in the current file.');
  }
  const config = {
    validateRequest: true,
    validateResponse: true,
    checkSecurity: true,
    errors: options.errors,
    upstreamProxy: undefined,
    mock: { dynamic: options.dynamic, ignoreExamples: false, seed: null },
    isProxy: false,
  };
  let httpServer;
  const createHttpServer = http.createServer;
  http.createServer = (...args) => (httpServer = createHttpServer.apply(http, args));
  let server;
  try {
    server = createServer(operations, {
      cors: true,
      config,
      components: { logger: logInstance.child({ name: 'HTTP SERVER' }) },
    });
  } finally {
    http.createServer = createHttpServer;
  }
  const address = await server.listen(options.port, '127.0.0.1');
  try {
    operations.forEach(resource => {
      const path = pipe(
        createExamplePath(resource, attachTagsToParamsValues),
        E.getOrElse(() => resource.path)
      );
      logInstance.info(
        `${resource.method.toUpperCase().padEnd(10)} ${address}${transformPathParamsValues(path, chalk.bold.cyan)}`
      );
    });
    logInstance.start(`Prism is listening on ${address}`);
  } catch (e) {
    // the CLI's process would end here; this mock must not stay listening
    const closed = server.close().catch(() => undefined);
    if (httpServer) httpServer.closeAllConnections();
    await closed;
    throw e;
  }
  return { server, httpServer, port: Number(new URL(address).port) };
}

async function start(request) {
  const log = openLog(request.log);
  const signale = new Signale({ stream: log, config: { displayTimestamp: true } });
  signale.await({ prefix: chalk.bgWhiteBright.black('[CLI]'), message: 'Starting Prism…' });
  const logInstance = createLogger('CLI', cliLoggerOptions(), signaleDestination(signale));
  try {
    const mock = await createPrismServer(
      { document: request.document, port: request.port || 0, errors: !!request.errors, dynamic: !!request.dynamic },
      logInstance
    );
    const id = ++lastId;
    mocks.set(id, { ...mock, log });
    return { id, port: mock.port };
  } catch (e) {
    // server.listen rejects with the message alone
    const message = e instanceof Error ? e.message : String(e);
    logInstance.fatal(message);
    log.close();
    return { error: message };
  }
}

async function stop(id) {
  const mock = mocks.get(id);
  if (mock === undefined) return { error: `no mock ${id}` };
  mocks.delete(id);
  const closed = mock.server.close();
  if (mock.httpServer) mock.httpServer.closeAllConnections();
  try {
    await closed;
  } finally {
    mock.log.close();
  }
  return { stopped: id };
}

async function handle(line) {
  let request;
  try {
    request = JSON.parse(line);
  } catch (e) {
    return { error: `not JSON: ${line.slice(0, 200)}` };
  }
  try {
    if (request.op === 'start') return await start(request);
    if (request.op === 'stop') return await stop(request.id);
    return { error: `unknown op: ${request.op}` };
  } catch (e) {
    return { error: e instanceof Error ? e.stack || e.message : String(e) };
  }
}

// One request at a time, answered in order.
let queue = Promise.resolve();
const input = readline.createInterface({ input: process.stdin, crlfDelay: Infinity });
input.on('line', line => {
  if (!line.trim()) return;
  queue = queue.then(() => handle(line)).then(answer);
});
input.on('close', () => {
  queue.finally(() => {
    for (const mock of mocks.values()) mock.log.close();
    process.exit(0);
  });
});
