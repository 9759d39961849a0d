// Before the tests: make sure Debian's docker-registry (CNCF distribution) is
// installed, once, so parallel test files never race on apt.
import { findRegistryBinary } from '../dist/testkit/registry-server.js';

try {
  const binary = await findRegistryBinary();
  console.log(`registry server: ${binary}`);
} catch (err) {
  console.error(`warning: ${err.message}; the registry tests will fail`);
}
