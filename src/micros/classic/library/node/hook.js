// Makes require('deta') give app and App as Deta Cloud's runtime did, whatever the micro installs:
// no deta at all -> micros' own library; the deta SDK 1.x requires 'detalib' -> micros' own; the
// deta SDK 2.x (no App) -> App and app added to it.
"use strict";
const Module = require("module");
const path = require("path");
const own = path.join(__dirname, "deta.js");
const library = require(own);

const resolve = Module._resolveFilename;
Module._resolveFilename = function (request, ...rest) {
  try {
    return resolve.call(this, request, ...rest);
  } catch (e) {
    if ((request === "deta" || request === "detalib") && e && e.code === "MODULE_NOT_FOUND") return own;
    throw e;
  }
};

const load = Module._load;
Module._load = function (request, ...rest) {
  const m = load.call(this, request, ...rest);
  if (request === "deta" && m && m !== library && typeof m === "object" && !("App" in m)) {
    try {
      m.App = library.App;
      m.app = library.app;
    } catch (e) {
      // a frozen module: its own exports stay as they are
    }
  }
  return m;
};

module.exports = { bridge: library.bridge };
