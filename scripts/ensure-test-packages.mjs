// Before the tests: make sure the Debian packages some tests drive are installed,
// once, so parallel test files never race on apt. Installs only when root and
// missing; otherwise those tests skip with a message naming the package.
import { ensurePackages } from './apt-packages.mjs';

ensurePackages([
  { binary: '/usr/bin/chromium', pkg: 'chromium', why: 'the headless check of -o html' },
  { binary: '/usr/bin/zsh', pkg: 'zsh', why: 'the zsh completion check' },
  { binary: '/usr/bin/redis-server', pkg: 'redis-server', why: 'the shared verdict store tests' },
  { binary: '/usr/bin/kubectl', pkg: 'kubectl', why: 'kubectl kustomize, the kubectl plugin and kubeconfig checks' },
  { binary: '/usr/bin/gpg', pkg: 'gnupg', why: 'the OpenPGP commit signature checks' },
  { binary: '/usr/bin/ssh-keygen', pkg: 'openssh-client', why: 'the SSH commit signature checks' },
]);
