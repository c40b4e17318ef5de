module.exports = (name) => `Hello, ${name}! (from greeting-words 1.0.0, installed by micros with npm ci)`;
