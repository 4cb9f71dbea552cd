#!/usr/bin/env node
// The `funcx` command: runs the compiled CLI (dist/cli/funcx.js). A launcher kept in git, because
// npm links a workspace's bins when it installs, before `prepare` (the build) has made dist/.
import '../dist/cli/funcx.js';
