import t from 'tap';
import { parseSlug, slugFromRemoteUrl } from '../../src/git/remote.js';

t.test('owner/name from remote URLs', async (t) => {
  t.same(slugFromRemoteUrl('https://github.com/acme/shop.git'), { owner: 'acme', repo: 'shop' });
  t.same(slugFromRemoteUrl('https://x-access-token:abc@github.com/acme/shop'), { owner: 'acme', repo: 'shop' });
  t.same(slugFromRemoteUrl('git@github.com:acme/shop.git'), { owner: 'acme', repo: 'shop' });
  t.same(slugFromRemoteUrl('ssh://git@ghe.example.com:2222/platform/deploy.git'), { owner: 'platform', repo: 'deploy' });
  t.same(slugFromRemoteUrl('https://ghe.example.com/acme/shop/'), { owner: 'acme', repo: 'shop' });
  t.equal(slugFromRemoteUrl('/srv/git/shop.git'), undefined, 'a local path names no GitHub repository');
  t.equal(slugFromRemoteUrl('file:///srv/git/acme/shop.git'), undefined);
  t.equal(slugFromRemoteUrl('https://github.com/acme'), undefined);
});

t.test('--repo owner/name', async (t) => {
  t.same(parseSlug('acme/shop'), { owner: 'acme', repo: 'shop' });
  t.throws(() => parseSlug('acme'), { code: 'GIT_ERROR' });
  t.throws(() => parseSlug('a/b/c'), { code: 'GIT_ERROR' });
});
