'use strict';
/**
 * After `nest build`: the compiled service lives in dist/src/ (beside dist/libs/). Operators start
 * it as `node dist/main.js` (API, with in-process workers unless TASKS_RUN_WORKERS=false) and
 * `node dist/worker.js` (workers only); these two files point there.
 */
const fs = require('node:fs');
const path = require('node:path');

const dist = path.resolve(__dirname, '../dist');
for (const entry of ['main', 'worker']) {
  fs.writeFileSync(path.join(dist, `${entry}.js`), `'use strict';\nrequire('./src/${entry}');\n`);
}
