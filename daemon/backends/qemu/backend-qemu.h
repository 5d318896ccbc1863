/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * backend-qemu.h - the QEMU backend's entry points, for registry.c and tests.
 */
#ifndef MHP_BACKEND_QEMU_H
#define MHP_BACKEND_QEMU_H

#include "backend.h"

/**
 * mhp_backend_qemu_new() - a backend that launches QEMU itself.
 * @ctx: the context its sources run on (NULL: the thread default)
 * @cfg: the guest; copied
 * @agent: the agent link it connects before the guest runs
 * @cb: what it reports; copied
 * @user_data: for @cb
 *
 * Return: the backend; nothing runs before its ops->start.
 */
MhpBackend *mhp_backend_qemu_new(GMainContext *ctx, const MhpBackendConfig *cfg, MhpAgentLink *agent,
				 const MhpBackendCallbacks *cb, gpointer user_data);

/**
 * mhp_backend_qemu_recover() - kill the QEMU a dead run left behind.
 * @dir: the run's results directory, with qemu.pid and console.log
 *
 * Only a process whose command line logs its console to @dir/console.log
 * is killed: never another run's QEMU, nor one whose pid was reused.
 */
void mhp_backend_qemu_recover(const char *dir);

/**
 * mhp_backend_qemu_argv() - the QEMU command line for @cfg.
 * @cfg: the guest
 * @rundir: where the QMP, console and agent sockets go
 *
 * For tests and --dry-run.
 *
 * Return: the arguments, without a NULL terminator.
 */
GPtrArray *mhp_backend_qemu_argv(const MhpBackendConfig *cfg, const char *rundir);

/**
 * mhp_backend_qemu_opt_escape() - a string as one value in a QEMU option list.
 * @value: a name or a path, from the user or the environment
 *
 * QEMU splits "key=value,key=value" at every comma, and reads ",," as a
 * comma in a value: a ',' in a scenario name or a results path would
 * otherwise end the value and start an option of the user's choosing.
 *
 * Return: @value with every ',' doubled; free with g_free().
 */
char *mhp_backend_qemu_opt_escape(const char *value);

#endif
