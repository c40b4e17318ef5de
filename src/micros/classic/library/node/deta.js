// micros' own implementation of what Deta Cloud's runtime pre-installed for Node (detalib): App,
// app.lib.cron and app.lib.run, written for micros from Deta's documentation (no Deta code).
// App(webApp) adds `lib` to the web app and returns it, so it serves HTTP as the app does; `app`
// (App() with nothing) answers HTTP with a clear message. micros delivers cron and run events as
// POST /__space/v0/actions (Space's action call); bridge() answers them before the web app sees them.
"use strict";

const ACTIONS = "/__space/v0/actions";
const MARK = Symbol.for("micros.deta.app");
const NO_HTTP = "this micro has no HTTP handler: its code defines only Deta's cron and run handlers (app.lib.cron, app.lib.run);" +
  " to serve HTTP, wrap a web app: const app = App(express())\n";
const registry = { cron: null, runs: new Map(), used: false };

const lib = {
  cron(handler) {
    registry.cron = handler;
    registry.used = true;
  },
  run(handler, action) {
    registry.runs.set(action || "", handler);
    registry.used = true;
  },
};

function App(webApp) {
  registry.used = true;
  if (webApp && webApp[MARK]) return webApp;
  const app = webApp || function noHttp(req, res) {
    res.writeHead(404, { "Content-Type": "text/plain; charset=utf-8" });
    res.end(NO_HTTP);
  };
  Object.defineProperty(app, "lib", { value: lib, configurable: true, writable: true });
  Object.defineProperty(app, MARK, { value: true });
  return app;
}

const app = App();
registry.used = false; // only code that uses the library turns the bridge on

function json(res, status, value) {
  const body = Buffer.from(JSON.stringify(value === undefined ? null : value));
  res.writeHead(status, { "Content-Type": "application/json", "Content-Length": body.length });
  res.end(body);
}

async function answer(event, res) {
  let handler, ev;
  if (event.trigger === "run") {
    const action = event.action || "";
    handler = registry.runs.get(action);
    if (!handler) {
      const known = [...registry.runs.keys()].map((a) => JSON.stringify(a)).join(", ") || "none";
      return json(res, 404, { errorMessage: `no app.lib.run handler for the action ${JSON.stringify(action)} (handlers: ${known})`, errorType: "NoHandler" });
    }
    const body = event.body || "{}";
    let data;
    try {
      data = JSON.parse(body);
    } catch (e) {
      return json(res, 400, { errorMessage: "the run's body is not JSON", errorType: "BadInput" });
    }
    ev = { type: "run", json: data, body, action };
  } else {
    handler = registry.cron;
    ev = { type: "cron" };
  }
  try {
    json(res, 200, await handler(ev));
  } catch (e) {
    console.error(e && e.stack ? e.stack : String(e));
    json(res, 500, { errorMessage: e && e.message !== undefined ? e.message : String(e), errorType: (e && e.name) || "Error" });
  }
}

/** Wraps the micro's request handler: action calls for a cron or run handler are answered here, the rest go through. */
function bridge(handler) {
  return function (req, res) {
    if (!registry.used || req.method !== "POST" || req.url.split("?")[0] !== ACTIONS) return handler(req, res);
    const chunks = [];
    req.on("data", (c) => chunks.push(c));
    req.on("end", () => {
      const body = Buffer.concat(chunks);
      let event = null;
      try {
        const doc = JSON.parse(body.toString("utf8") || "{}");
        if (doc && typeof doc.event === "object" && doc.event) event = doc.event;
      } catch (e) {
        // not an action call for this library: the web app answers it
      }
      if (event && (event.trigger === "run" || registry.cron)) return answer(event, res);
      // replay the body the web app did not get to read
      const { Readable } = require("stream");
      const replay = Readable.from([body]);
      req.on = replay.on.bind(replay);
      req.pipe = replay.pipe.bind(replay);
      req.read = replay.read.bind(replay);
      req[Symbol.asyncIterator] = replay[Symbol.asyncIterator].bind(replay);
      return handler(req, res);
    });
  };
}

const sdkOnly = ["Deta", "Base", "Drive"];
const exported = { App, app, bridge };
for (const name of sdkOnly) {
  Object.defineProperty(exported, name, {
    enumerable: false,
    get() {
      throw new Error(`deta.${name} comes from the deta SDK, which this micro does not install: add deta to package.json` +
        " (Deta Cloud pre-installed it; micros provides only app and App)");
    },
  });
}
module.exports = exported;
