#!/usr/bin/env node
// The `funcx-endpoint` command: runs the compiled CLI (dist/cli/funcx-endpoint.js). A launcher kept
// in git, because npm links a workspace's bins when it installs, before `prepare` (the build) has
// made dist/. The endpoint starts its own programs from dist/ directly (selfCommand.ts).
import '../dist/cli/funcx-endpoint.js';
