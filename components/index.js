// The package's entry for Node (package.json main): the built library in bin/ (`npm ci` builds it
// through the `prepare` script). It sits beside components/index.ts so that Pulumi's component
// analyzer, which maps an entry's .js path to its .ts source, reads the library's sources.
"use strict";
module.exports = require("../bin/components/index.js");
