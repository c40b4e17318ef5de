// The greet micro: Space's legacy Node default, an index.js that exports the app (not listening itself).
const greeting = process.env.GREETING || "Hello";

module.exports = (req, res) => {
  const name = new URL(req.url, "http://x").searchParams.get("name") || "Space";
  res.setHeader("Content-Type", "text/plain; charset=utf-8");
  res.end(`${greeting}, ${name}! (from ${process.env.DETA_SPACE_APP_MICRO_NAME})\n`);
};
