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

const entry = path.resolve("index.js");
import(pathToFileURL(entry).href).then((mod) => {
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
  if (err && err.code === "ERR_MODULE_NOT_FOUND" && String(err.message).includes(entry)) {
    die("no index.js in the micro's folder: add one exporting the app, or set 'run:' in the Spacefile");
  }
  throw err;
});
