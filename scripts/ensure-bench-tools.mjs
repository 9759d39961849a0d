// Before `npm run bench`: hyperfine (Debian) times start-up against bare node in the same run.
import { ensurePackages } from './apt-packages.mjs';

ensurePackages([{ binary: '/usr/bin/hyperfine', pkg: 'hyperfine', why: 'the start-up rows (measured with a plain loop instead)' }]);
