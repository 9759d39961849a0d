#!/bin/sh
# Entrypoint of the hook image. Runs the CLI with the given arguments; as an Argo CD CMP
# sidecar the container command is argocd-cmp-server instead, which calls the CLI itself.
# A writable HOME and cache are needed with a read-only root filesystem.
set -eu
: "${HOME:=/tmp}"
export HOME
if [ -z "${VERIFY_IMAGES_CACHE_DIR:-}" ]; then
  VERIFY_IMAGES_CACHE_DIR="${HOME}/.cache/kubectl-verify-images"
  export VERIFY_IMAGES_CACHE_DIR
fi
mkdir -p "$VERIFY_IMAGES_CACHE_DIR" 2>/dev/null || true
export XDG_CACHE_HOME="${XDG_CACHE_HOME:-${HOME}/.cache}"
# git refuses repositories owned by another uid (CVE-2022-24765); checkouts here are our own,
# but mounted sources may not be.
export GIT_CONFIG_COUNT=1 GIT_CONFIG_KEY_0=safe.directory GIT_CONFIG_VALUE_0='*'
exec "${VERIFY_IMAGES_BIN:-kubectl-verify-images}" "$@"
