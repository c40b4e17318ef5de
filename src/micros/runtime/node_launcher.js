// micros' launcher for Space's legacy Node default: index.js in the micro's folder exports the app
// (a request handler function or an Express-style app). An index.js that listens on PORT itself works too.
"use strict";
const http = require("http");
const net = require("net");
const path = require("path");
const { pathToFileURL } = require("url");

const port = Number(process.env.PORT);
// Deta Cloud's runtime pre-installed the deta library (app, App, app.lib.cron/run): micros' own, extracted beside this file
const detaHook = path.join(__dirname, "deta-library", "node", "hook.js");
const deta = require("fs").existsSync(detaHook) ? require(detaHook) : { bridge: (handler) => handler };
let listened = false;
const listen = net.Server.prototype.listen;
net.Server.prototype.listen = function (...args) {
  listened = true;
  return listen.apply(this, args);
};

function die(message) {
  console.error("micros: " + message);
  process.exit(3);
}

// the app's failure to load, once, as Node would print it but without this launcher's, micros' deta
// library's and Node's module loader's frames: the user's own code is what they need to see
function crash(err) {
  const here = __dirname + path.sep;
  const text = err instanceof Error && typeof err.stack === "string" ? err.stack : "Uncaught " + require("util").inspect(err);
  const own = (line) => !/^\s+at /.test(line) || !(line.includes(here) || /[( ]node:internal\//.test(line));
  console.error(text.split("\n").filter(own).join("\n"));
  process.exit(1);
}

// frames of the launcher and the loader come first in a load failure's stack: room for the app's own below them
const stackLimit = Error.stackTraceLimit, loadingLimit = Math.max(stackLimit, 50);
Error.stackTraceLimit = loadingLimit;
const loaded = () => {
  if (Error.stackTraceLimit === loadingLimit) Error.stackTraceLimit = stackLimit; // unless the app set its own
};

const entry = path.resolve("index.js");
import(pathToFileURL(entry).href).then((mod) => {
  loaded();
  let app = mod.default;
  if (app && typeof app === "object" && typeof app.default === "function") app = app.default;
  setImmediate(() => {
    if (listened) return; // index.js started its own server
    if (app && typeof app === "object" && typeof app.callback === "function") app = app.callback(); // Koa
    if (typeof app !== "function") {
      die("index.js neither exports an app (a request handler or an Express app) nor listens on PORT: " +
          "export the app (module.exports = app), or set 'run:' in the Spacefile");
    }
    http.createServer(deta.bridge(app)).listen(port, "127.0.0.1");
  });
}, (err) => {
  loaded();
  if (err && err.code === "ERR_MODULE_NOT_FOUND" && String(err.message).includes(entry)) {
    die("no index.js in the micro's folder: add one exporting the app, or set 'run:' in the Spacefile");
  }
  crash(err);
});
