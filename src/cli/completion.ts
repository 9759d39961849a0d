// `completion bash|zsh|kubectl`: shell completion scripts. All of them ask the CLI
// itself (`--get-yargs-completions`, which yargs answers from the declared
// commands and options), so completion stays in step with the flags.
//   bash/zsh: for the executables kubectl-verify-images (npm) and kubectl-verify_images.
//   kubectl:  a `kubectl_complete-verify_images` script; kubectl ≥ 1.26 runs it to
//             complete `kubectl verify-images …` (cobra protocol: candidates, then `:<directive>`).

import type { RegisterCommand } from './commands.js';
import { UsageError } from './verify.js';

export const SHELLS = ['bash', 'zsh', 'kubectl'] as const;
export type Shell = (typeof SHELLS)[number];

/** The executables a user types directly (npm bin, plugin file). */
const EXECUTABLES = ['kubectl-verify-images', 'kubectl-verify_images'];

/** The completion script for a shell (pure). */
export function completionScript(shell: Shell): string {
  if (shell === 'bash') {
    return `# bash completion for kubectl-verify-images. Install:
#   kubectl-verify-images completion bash > /etc/bash_completion.d/kubectl-verify-images
#   or: source <(kubectl-verify-images completion bash)
_kubectl_verify_images_completions() {
    local cur="\${COMP_WORDS[COMP_CWORD]}" candidates
    candidates=$("\${COMP_WORDS[0]}" --get-yargs-completions "\${COMP_WORDS[@]:0:COMP_CWORD+1}" 2>/dev/null)
    mapfile -t COMPREPLY < <(compgen -W "$candidates" -- "$cur")
}
complete -o bashdefault -o default -F _kubectl_verify_images_completions ${EXECUTABLES.join(' ')}
`;
  }
  if (shell === 'zsh') {
    return `#compdef ${EXECUTABLES.join(' ')}
# zsh completion for kubectl-verify-images. Install:
#   kubectl-verify-images completion zsh > "\${fpath[1]}/_kubectl-verify-images"
#   or: source <(kubectl-verify-images completion zsh)
_kubectl_verify_images() {
  local -a reply
  reply=("\${(@f)$("\${words[1]}" --get-yargs-completions "\${(@)words[1,CURRENT]}" 2>/dev/null)}")
  if (( \${#reply} )); then
    compadd -a reply
  else
    _files
  fi
}
if [[ "\${zsh_eval_context[-1]}" == "loadautofunc" ]]; then
  _kubectl_verify_images "$@"
else
  compdef _kubectl_verify_images ${EXECUTABLES.join(' ')}
fi
`;
  }
  return `#!/bin/sh
# kubectl (>= 1.26) runs this for \`kubectl verify-images <TAB>\`. Install it on PATH:
#   kubectl verify-images completion kubectl > ~/bin/kubectl_complete-verify_images
#   chmod +x ~/bin/kubectl_complete-verify_images
# Arguments: the words after \`verify-images\`, the last one being completed.
cur=""
for word in "$@"; do cur="$word"; done
# Keep candidates starting with the current word; drop yargs' "--x" forms of one-letter aliases.
kubectl-verify_images --get-yargs-completions kubectl-verify_images "$@" 2>/dev/null |
  awk -v cur="$cur" 'index($0, cur) == 1 && !/^--.$/'
# cobra directive 0: default (files are offered when nothing matched).
echo ":0"
`;
}

export const registerCompletion: RegisterCommand = (cli, ctx) =>
  cli.command(
    'completion <shell>',
    'print a shell completion script (bash, zsh, or kubectl for `kubectl verify-images <TAB>`)',
    (y) => y.positional('shell', { type: 'string', choices: SHELLS as unknown as string[], describe: 'bash, zsh or kubectl' }),
    (argv) => {
      const shell = String(argv.shell);
      if (!(SHELLS as readonly string[]).includes(shell)) throw new UsageError(`unknown shell "${shell}" (choose from ${SHELLS.join(', ')})`);
      ctx.io.stdout(completionScript(shell as Shell));
    },
  );
