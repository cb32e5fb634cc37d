#!/usr/bin/env node
// Runs rclnodejs's OWN interface generators (rosidl_gen, then rostsd_gen) without a ROS 2 install,
// to produce rclnodejs/types/interfaces.d.ts for scripts/typecheck-rclnodejs.sh.
//
// Usage: AMENT_PREFIX_PATH=<prefix> node scripts/rclnodejs-generate-typings.cjs <path to rclnodejs>
//
// Why the stub below: rosidl_gen parses .msg/.srv through rosidl_adapter (Python) and writes one
// JS wrapper per interface; rostsd_gen then require()s each wrapper to read its static metadata
// (`type()`, `ROSMessageDef`, `Request`/`Response`). The wrappers' top level builds ref-napi
// struct layouts, which loads rclnodejs's native addon (librcl). That addon cannot exist without a
// sourced ROS 2, and rclnodejs would try to compile it. The metadata does not depend on the
// layouts, so while rostsd_gen runs, the wrappers' four native-backed requires get an inert
// stand-in. Nothing generated here is ever executed against ROS; only the .d.ts is used.
'use strict';

const path = require('path');
const Module = require('module');

const rclnodejsDir = path.resolve(process.argv[2] || '');
if (!process.argv[2] || !process.env.AMENT_PREFIX_PATH) {
  console.error('usage: AMENT_PREFIX_PATH=<prefix> node scripts/rclnodejs-generate-typings.cjs <rclnodejs dir>');
  process.exit(2);
}

/** A callable, constructible object whose every property is itself: absorbs any layout-building code. */
function inert() {
  const target = function () {};
  const proxy = new Proxy(target, {
    get(_t, key) {
      if (key === Symbol.toPrimitive) return () => 0;
      if (key === 'prototype') return target.prototype;
      return proxy;
    },
    apply: () => proxy,
    construct: () => proxy,
  });
  return proxy;
}

const nativeBacked = [
  path.join(rclnodejsDir, 'lib', 'native_loader.js'),
  path.join(rclnodejsDir, 'third_party', 'ref-napi'),
  path.join(rclnodejsDir, 'rosidl_gen', 'primitive_types.cjs'),
  path.join(rclnodejsDir, 'rosidl_gen', 'deallocator.cjs'),
];
const nativeBackedPackages = new Set(['@rclnodejs/ref-struct-di', '@rclnodejs/ref-array-di']);
const generatedRoot = path.join(rclnodejsDir, 'generated') + path.sep;

function installStub() {
  const originalLoad = Module._load;
  Module._load = function (request, parent, isMain) {
    if (parent && parent.filename) {
      if (parent.filename.startsWith(generatedRoot) && nativeBackedPackages.has(request)) return () => inert();
      if (request.startsWith('.')) {
        const resolved = path.resolve(path.dirname(parent.filename), request);
        if (nativeBacked.some((p) => resolved === p || resolved === p.replace(/\.cjs$/, ''))) {
          return resolved.endsWith('native_loader.js') ? { default: inert() } : inert();
        }
      }
    }
    return originalLoad.call(this, request, parent, isMain);
  };
}

async function main() {
  const generator = require(path.join(rclnodejsDir, 'rosidl_gen', 'index.cjs'));
  await generator.generateAll(true); // generated/<pkg>/*.js from AMENT_PREFIX_PATH
  installStub();
  const tsd = require(path.join(rclnodejsDir, 'rostsd_gen', 'index.cjs'));
  await tsd.generateAll(); // types/interfaces.d.ts
}

main().catch((e) => {
  console.error(e && e.stack ? e.stack : e);
  process.exit(1);
});
