// The node micro: Space's legacy Node default, index.js exporting the app; its dependency comes
// from a tarball shipped in vendor/, installed by micros with `npm ci` before the first start.
const greet = require("greeting-words");

module.exports = (req, res) => {
  const name = new URL(req.url, "http://x").searchParams.get("name") || "Space";
  res.setHeader("Content-Type", "text/plain; charset=utf-8");
  res.end(greet(name) + "\n");
};
