'use strict';
/**
 * Writes docs/openapi.json from the built app (run `npm run build` first; `npm run openapi` does).
 * The committed file makes every API change visible in review; a spec checks it is current.
 *   node scripts/openapi.js           write docs/openapi.json
 */
const fs = require('node:fs');
const path = require('node:path');

const target = path.resolve(__dirname, '../docs/openapi.json');

require('../dist/src/openapi')
  .generateOpenApiDocument()
  .then((document) => {
    fs.writeFileSync(target, `${JSON.stringify(document, null, 2)}\n`);
    console.log(`wrote ${path.relative(process.cwd(), target)} (${Object.keys(document.paths).length} paths)`);
  })
  .catch((error) => {
    console.error(error);
    process.exit(1);
  });
