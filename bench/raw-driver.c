// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * raw-driver.c - the baseline for bench/cycle-overhead: the same hotplug
 * cycle as 'mhpstress run', done by hand with blocking sockets: a plain
 * QMP socket and the agent, no engine, no results files.
 *
 * usage: raw-driver KERNEL INITRD CYCLES SIZE_MB [RACE_SECONDS]
 * Prints one line of JSON: {"cycles_ms":[...], "p50_ms":X}.
 *
 * With RACE_SECONDS, it is the minimal race loop for bench/race-detect: one
 * kernel_page_tables reader in the guest (the agent's ptdump stressor, as
 * `while :; do cat kernel_page_tables; done` would be), cycles without
 * snapshots or block listings, and after each cycle a look at the console
 * for an oops. It stops at the first oops, a dead guest or RACE_SECONDS and
 * prints {"caught":B, "detect_s":T, "cycles":N, "p50_ms":X, "why":S}.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <json-c/json.h>

struct conn {
	int fd;
	char buf[1 << 20];
	size_t len;
};

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int race;             /* race mode: a failure is a result */
static double race_t0;
static int race_cycles;
static char console_path[256];
static void race_result(int caught, const char *why);

static void die(const char *what)
{
	if (race)
		race_result(1, what); /* the guest stopped answering: it is gone */
	fprintf(stderr, "raw-driver: %s\n", what);
	exit(2);
}

static int connect_unix(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/* Next JSON message; dies at the deadline. */
static struct json_object *next_msg(struct conn *c, double deadline)
{
	for (;;) {
		char *nl = memchr(c->buf, '\n', c->len);
		if (nl) {
			*nl = '\0';
			struct json_object *o = json_tokener_parse(c->buf);
			size_t used = (size_t)(nl + 1 - c->buf);
			memmove(c->buf, nl + 1, c->len - used);
			c->len -= used;
			if (o)
				return o;
			continue;
		}
		double left = deadline - now_ms();
		struct pollfd p = { .fd = c->fd, .events = POLLIN };
		if (left <= 0 || poll(&p, 1, (int)left + 1) <= 0)
			die("timed out waiting for a message");
		ssize_t n = read(c->fd, c->buf + c->len, sizeof(c->buf) - c->len - 1);
		if (n <= 0)
			die("connection closed");
		c->len += (size_t)n;
	}
}

static void send_msg(struct conn *c, struct json_object *o)
{
	const char *s = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN);
	if (write(c->fd, s, strlen(s)) < 0 || write(c->fd, "\n", 1) < 0)
		die("write failed");
	json_object_put(o);
}

static struct conn qmp, agent;
static int qmp_id, agent_id;
/* QMP events seen while waiting for something else */
static struct json_object *events[256];
static int n_events;

static struct json_object *qmp_cmd(const char *cmd, const char *args)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "execute", json_object_new_string(cmd));
	if (args)
		json_object_object_add(o, "arguments", json_tokener_parse(args));
	json_object_object_add(o, "id", json_object_new_int(++qmp_id));
	send_msg(&qmp, o);
	for (;;) {
		struct json_object *m = next_msg(&qmp, now_ms() + 30000), *v;
		if (json_object_object_get_ex(m, "event", &v)) {
			if (n_events < 256)
				events[n_events++] = m;
			continue;
		}
		if (json_object_object_get_ex(m, "error", &v))
			die(json_object_to_json_string(m));
		return m;
	}
}

/* An event whose data.info has these source/status (status -1: any), device or none. */
static int ev_match(struct json_object *m, const char *name, int source, int status, int want_device)
{
	struct json_object *v, *d, *info, *x;

	if (!json_object_object_get_ex(m, "event", &v) || strcmp(json_object_get_string(v), name))
		return 0;
	if (source < 0)
		return 1;
	if (!json_object_object_get_ex(m, "data", &d) || !json_object_object_get_ex(d, "info", &info))
		return 0;
	if (!json_object_object_get_ex(info, "source", &x) || json_object_get_int(x) != source)
		return 0;
	if (status >= 0 && (!json_object_object_get_ex(info, "status", &x) || json_object_get_int(x) != status))
		return 0;
	return json_object_object_get_ex(info, "device", NULL) == want_device;
}

static void wait_event(const char *name, int source, int status, int want_device)
{
	double deadline = now_ms() + 15000;

	for (int i = 0; i < n_events; i++) {
		if (ev_match(events[i], name, source, status, want_device)) {
			json_object_put(events[i]);
			events[i] = events[--n_events];
			return;
		}
	}
	for (;;) {
		struct json_object *m = next_msg(&qmp, deadline);
		if (ev_match(m, name, source, status, want_device)) {
			json_object_put(m);
			return;
		}
		json_object_put(m);
	}
}

static struct json_object *agent_cmd(const char *cmd, const char *args)
{
	struct json_object *o = json_object_new_object(), *v;
	int id = ++agent_id;

	json_object_object_add(o, "id", json_object_new_int(id));
	json_object_object_add(o, "cmd", json_object_new_string(cmd));
	if (args)
		json_object_object_add(o, "args", json_tokener_parse(args));
	send_msg(&agent, o);
	for (;;) {
		struct json_object *m = next_msg(&agent, now_ms() + 60000);
		if (json_object_object_get_ex(m, "id", &v) && json_object_get_int(v) == id) {
			if (json_object_object_get_ex(m, "error", &v))
				die(json_object_to_json_string(m));
			return m;
		}
		json_object_put(m);
	}
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static double *race_ms;

/*
 * Race mode: each cycle's phases, named as cycles.jsonl names mhpstress's,
 * so that bench/race-detect can say where the two loops' time goes.
 */
enum { PH_ADD, PH_OST, PH_BLOCKS, PH_ONLINE, PH_OFFLINE, PH_DEL, PH_EJECT_OST, PH_DELETED, PH_EJECT_DONE,
       PH_OBJECT_DEL, PH_BLOCKS_GONE, PH_N };
static const char *const ph_name[PH_N] = { "add", "ost", "blocks", "online", "offline", "del", "eject-ost",
					    "deleted", "eject-done", "object-del", "blocks-gone" };
#define PH_CAP 65536
static float *ph_ms[PH_N];
static double ph_t;

static void ph_mark(int ph)
{
	double t = now_ms();

	if (race && race_cycles < PH_CAP)
		ph_ms[ph][race_cycles] = (float)(t - ph_t);
	ph_t = t;
}

static int fcmp(const void *a, const void *b)
{
	float x = *(const float *)a, y = *(const float *)b;
	return x < y ? -1 : x > y;
}

/* An oops on the console since the last look? */
static int console_oops(void)
{
	static long off;
	char buf[1 << 16];
	FILE *f = fopen(console_path, "r");
	int found = 0;

	if (!f)
		return 0;
	fseek(f, off, SEEK_SET);
	while (fgets(buf, sizeof(buf), f))
		if (strstr(buf, "Unable to handle kernel") || strstr(buf, "Internal error:") || strstr(buf, "Kernel panic"))
			found = 1;
	off = ftell(f);
	fclose(f);
	return found;
}

static void race_result(int caught, const char *why)
{
	double p50 = 0;

	if (race_cycles) {
		qsort(race_ms, (size_t)race_cycles, sizeof(double), cmp);
		p50 = race_ms[(race_cycles - 1) / 2];
	}
	caught = caught && (console_oops() || !strcmp(why, "oops"));
	printf("{\"caught\":%s,\"detect_s\":%.1f,\"cycles\":%d,\"p50_ms\":%.1f,\"why\":\"%s\",\"cycles_ms\":[",
	       caught ? "true" : "false", (now_ms() - race_t0) / 1e3, race_cycles, p50, why);
	/* every cycle's time (sorted), for a median pooled over runs */
	for (int i = 0; i < race_cycles; i++)
		printf("%s%.1f", i ? "," : "", race_ms[i]);
	printf("],\"phase_p50_ms\":{");
	for (int p = 0; p < PH_N; p++) {
		int n = race_cycles < PH_CAP ? race_cycles : PH_CAP;
		qsort(ph_ms[p], (size_t)n, sizeof(float), fcmp);
		printf("%s\"%s\":%.2f", p ? "," : "", ph_name[p], n ? ph_ms[p][(n - 1) / 2] : 0.0);
	}
	printf("}}\n");
	fflush(stdout);
	_exit(0);
}

/*
 * One hotplug cycle of DIMM @i; its time in ms. @verify adds what
 * 'mhpstress run' checks (the DIMM's address from QEMU, a block listing and a
 * snapshot after online and after removal); race mode leaves them out.
 */
static double one_cycle(int i, int size_mb, int verify)
{
	char arg[512], blocks[256] = "[";
	double t0 = now_ms();
	long long addr = 0x80000000ll; /* the first DIMM's, with nothing else plugged */

	ph_t = t0;

	snprintf(arg, sizeof(arg), "{\"qom-type\":\"memory-backend-ram\",\"id\":\"mem%d\",\"size\":%lld}", i,
		 (long long)size_mb << 20);
	json_object_put(qmp_cmd("object-add", arg));
	snprintf(arg, sizeof(arg), "{\"driver\":\"pc-dimm\",\"id\":\"dimm%d\",\"memdev\":\"mem%d\",\"slot\":0}", i, i);
	json_object_put(qmp_cmd("device_add", arg));
	ph_mark(PH_ADD);
	wait_event("ACPI_DEVICE_OST", 1, 0, 1);
	ph_mark(PH_OST);
	if (verify) {
		struct json_object *r = qmp_cmd("query-memory-devices", NULL), *ret, *data, *a;
		json_object_object_get_ex(r, "return", &ret);
		json_object_object_get_ex(json_object_array_get_idx(ret, 0), "data", &data);
		json_object_object_get_ex(data, "addr", &a);
		addr = json_object_get_int64(a);
		json_object_put(r);
	}
	long long first = addr >> 27, n = (long long)size_mb >> 7;
	for (long long b = 0; b < n; b++)
		snprintf(blocks + strlen(blocks), sizeof(blocks) - strlen(blocks), "%s%lld", b ? "," : "", first + b);
	strcat(blocks, "]");
	snprintf(arg, sizeof(arg), "{\"phys_start\":%lld,\"size\":%lld}", addr, (long long)size_mb << 20);
	json_object_put(agent_cmd("wait-blocks", arg));
	ph_mark(PH_BLOCKS);
	snprintf(arg, sizeof(arg), "{\"blocks\":%s,\"zone\":\"online_movable\"}", blocks);
	json_object_put(agent_cmd("online", arg));
	ph_mark(PH_ONLINE);
	if (verify) {
		json_object_put(agent_cmd("blocks", NULL));
		json_object_put(agent_cmd("snapshot", "{\"ptdump\":\"none\"}"));
	}
	snprintf(arg, sizeof(arg), "{\"blocks\":%s}", blocks);
	json_object_put(agent_cmd("offline", arg));
	ph_mark(PH_OFFLINE);
	snprintf(arg, sizeof(arg), "{\"id\":\"dimm%d\"}", i);
	json_object_put(qmp_cmd("device_del", arg));
	ph_mark(PH_DEL);
	wait_event("ACPI_DEVICE_OST", 3, 0x84, 1);
	ph_mark(PH_EJECT_OST);
	wait_event("DEVICE_DELETED", -1, -1, 0);
	ph_mark(PH_DELETED);
	wait_event("ACPI_DEVICE_OST", 3, 0, 0);
	ph_mark(PH_EJECT_DONE);
	snprintf(arg, sizeof(arg), "{\"id\":\"mem%d\"}", i);
	json_object_put(qmp_cmd("object-del", arg));
	ph_mark(PH_OBJECT_DEL);
	snprintf(arg, sizeof(arg), "{\"phys_start\":%lld,\"size\":%lld,\"present\":false}", addr,
		 (long long)size_mb << 20);
	json_object_put(agent_cmd("wait-blocks", arg));
	ph_mark(PH_BLOCKS_GONE);
	if (verify)
		json_object_put(agent_cmd("snapshot", "{\"ptdump\":\"none\"}"));
	return now_ms() - t0;
}

int main(int argc, char **argv)
{
	char dir[] = "/tmp/mhp-raw-XXXXXX", path[256], mem[64];
	/* race mode: as ptdump-race.ini, movablecore keeps the zonelist race away */
	const char *appendarg = argc == 6 ? "console=ttyAMA0 panic=-1 movablecore=256M" : "console=ttyAMA0 panic=-1";
	int cycles, size_mb;
	pid_t pid;

	if (argc != 5 && argc != 6)
		die("usage: raw-driver KERNEL INITRD CYCLES SIZE_MB [RACE_SECONDS]");
	cycles = atoi(argv[3]);
	size_mb = atoi(argv[4]);
	if (!mkdtemp(dir))
		die("mkdtemp");
	snprintf(console_path, sizeof(console_path), "%s/console.log", dir);
	pid = fork();
	if (pid == 0) {
		char qmparg[300], agentarg[300], conarg[320];
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		snprintf(qmparg, sizeof(qmparg), "unix:%s/qmp.sock,server=on,wait=off", dir);
		snprintf(agentarg, sizeof(agentarg), "socket,id=agent0,path=%s/agent.sock,server=on,wait=off", dir);
		snprintf(mem, sizeof(mem), "1024M,slots=8,maxmem=8192M");
		snprintf(conarg, sizeof(conarg), "file,id=con0,path=%s", console_path);
		int devnull = open("/dev/null", 1);
		dup2(devnull, 1);
		dup2(devnull, 2);
		execlp("qemu-system-aarch64", "qemu-system-aarch64", "-M", "virt,gic-version=3", "-cpu", "max,pauth-impdef=on",
		       "-accel", "tcg", "-smp", "2", "-m", mem, "-nodefaults", "-display", "none",
		       "-bios", "/usr/share/qemu-efi-aarch64/QEMU_EFI.fd", "-kernel", argv[1], "-initrd", argv[2],
		       "-append", appendarg, "-no-reboot", "-sandbox", "on", "-S", "-qmp", qmparg,
		       "-chardev", conarg, "-serial", "chardev:con0",
		       "-device", "virtio-serial-pci,id=vser0", "-chardev", agentarg,
		       "-device", "virtserialport,bus=vser0.0,chardev=agent0,name=org.mhpstress.agent.0",
		       "-device", "pvpanic-pci", (char *)NULL);
		_exit(127);
	}
	snprintf(path, sizeof(path), "%s/qmp.sock", dir);
	for (int i = 0; (qmp.fd = connect_unix(path)) < 0; i++) {
		if (i > 1000)
			die("no QMP socket");
		usleep(10000);
	}
	json_object_put(next_msg(&qmp, now_ms() + 10000)); /* greeting */
	json_object_put(qmp_cmd("qmp_capabilities", NULL));
	snprintf(path, sizeof(path), "%s/agent.sock", dir);
	if ((agent.fd = connect_unix(path)) < 0)
		die("no agent socket");
	json_object_put(qmp_cmd("cont", NULL));
	json_object_put(agent_cmd("hello", NULL));
	json_object_put(agent_cmd("snapshot", "{\"ptdump\":\"none\"}"));
	if (argc == 6) {
		double limit = atof(argv[5]) * 1e3;

		race = 1;
		race_ms = calloc(1000000, sizeof(double));
		for (int p = 0; p < PH_N; p++)
			ph_ms[p] = calloc(PH_CAP, sizeof(float));
		json_object_put(agent_cmd("stressor-start", "{\"name\":\"pt\",\"kind\":\"ptdump\",\"rate_hz\":0}"));
		race_t0 = now_ms();
		while (race_cycles < 1000000) {
			race_ms[race_cycles] = one_cycle(race_cycles, size_mb, 0);
			race_cycles++;
			if (console_oops())
				race_result(1, "oops");
			if (now_ms() - race_t0 > limit)
				race_result(0, "time limit");
		}
		race_result(0, "cycle limit");
	}

	double *t = calloc((size_t)cycles, sizeof(double));
	printf("{\"cycles_ms\":[");
	for (int i = 0; i < cycles; i++) {
		t[i] = one_cycle(i, size_mb, 1);
		printf("%s%.3f", i ? "," : "", t[i]);
	}
	qsort(t, (size_t)cycles, sizeof(double), cmp);
	printf("],\"p50_ms\":%.3f}\n", t[(cycles - 1) / 2]);
	json_object_put(qmp_cmd("quit", NULL));
	waitpid(pid, NULL, 0);
	snprintf(path, sizeof(path), "%s/qmp.sock", dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/agent.sock", dir);
	unlink(path);
	rmdir(dir);
	return 0;
}
