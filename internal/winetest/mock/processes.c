/*
 * Processes in compute systems: a tiny command interpreter running on one
 * worker thread per process, with real named pipes for stdio.
 *
 * The caller's pipe ends are opened with FILE_FLAG_OVERLAPPED, like those of
 * real HCS, so both go-winio and os.NewFile can use them. The mock's own ends
 * are overlapped too, so the worker can wait for its I/O and for the stop
 * event at once: terminate and signal never wait for a reader.
 */
#include "mock.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>


enum cmdkind { CMD_ECHO, CMD_EXIT, CMD_CAT, CMD_SPEW, CMD_WAIT, CMD_SLEEP };

struct command {
	enum cmdkind kind;
	ULONGLONG a, b;
	const char *text; /* echo: points into the command line */
};

/* Extra per-process state only the worker and create use. */
struct worker {
	struct process *p;
	struct command cmd;
};

static DWORD g_next_pid = 100;

struct process *proc_new(struct system *sys)
{
	struct process *p = calloc(1, sizeof(*p));
	if (!p)
		return NULL;
	p->stop_ev = CreateEventW(NULL, TRUE, FALSE, NULL);
	p->stdin_ev = CreateEventW(NULL, TRUE, FALSE, NULL);
	if (!p->stop_ev || !p->stdin_ev) {
		if (p->stop_ev)
			CloseHandle(p->stop_ev);
		if (p->stdin_ev)
			CloseHandle(p->stdin_ev);
		free(p);
		return NULL;
	}
	p->refs = 1; /* membership in sys->procs */
	p->member = true;
	p->sys = sys;
	sys->refs++;
	p->next = sys->procs;
	sys->procs = p;
	return p;
}

void proc_release(struct process *p)
{
	if (--p->refs > 0)
		return;
	for (struct process **pp = &p->sys->procs; *pp; pp = &(*pp)->next) {
		if (*pp == p) {
			*pp = p->next;
			break;
		}
	}
	sys_release(p->sys);
	HANDLE hs[] = {p->stop_ev, p->stdin_ev, p->my_in, p->my_out, p->my_err,
		       p->held[0], p->held[1], p->held[2]};
	for (size_t i = 0; i < sizeof(hs) / sizeof(hs[0]); i++)
		if (hs[i])
			CloseHandle(hs[i]);
	free(p->cmd);
	free(p);
}

struct phandle *proc_handle_new(struct process *p, struct shandle *via)
{
	struct phandle *h = calloc(1, sizeof(*h));
	if (!h)
		return NULL;
	h->s.h.kind = HK_PROC;
	h->s.refs = 1;
	h->proc = p;
	p->refs++;
	h->via = via;
	via->s.refs++;
	h->next = p->handles;
	p->handles = h;
	return h;
}

void proc_handle_free(struct phandle *h)
{
	proc_release(h->proc);
	sink_release(&h->via->s);
	h_free(h);
}

static void handle_unlink(struct phandle *h)
{
	htab_del(&h->s.h);
	h->s.closed = true;
	for (struct phandle **pp = &h->proc->handles; *pp; pp = &(*pp)->next) {
		if (*pp == h) {
			*pp = h->next;
			break;
		}
	}
}

void proc_drop(struct hobj *hobj)
{
	struct phandle *h = (struct phandle *)hobj;
	h->s.closed = true;
	for (struct phandle **pp = &h->proc->handles; *pp; pp = &(*pp)->next) {
		if (*pp == h) {
			*pp = h->next;
			break;
		}
	}
	sink_release(&h->s);
}

void procs_reset(void) { g_next_pid = 100; }

static struct phandle *proc_handle(HCS_PROCESS process, const char *fn, HRESULT *hr)
{
	/* A bad handle is fatal before anything else, as on Windows. */
	struct phandle *h = (struct phandle *)h_use(process, HK_PROC, fn);
	if (g_disconnected || h->s.stale) {
		*hr = MOCK_E_SERVICE_DISCONNECT;
		return NULL;
	}
	*hr = S_OK;
	return h;
}

static void disconnect_one(struct hobj *h, void *arg)
{
	struct phandle *sh = (struct phandle *)h;
	sh->s.stale = true; /* it belonged to the lost connection */
	ev_add(arg, &sh->s, HcsEventServiceDisconnect, NULL, NULL);
}

void procs_disconnect(struct evlist *evs)
{
	/* Process callbacks hear it too: hcsshim listens for it on process
	 * handles (internal/hcs/callback.go, newProcessChannels) and aborts a
	 * process's wait on it (internal/hcs/v2/notification.go). */
	htab_each(HK_PROC, disconnect_one, evs);
}

void proc_status(struct sb *b, const struct process *p)
{
	sb_addf(b, "{\"ProcessId\":%lu,\"Exited\":%s,\"ExitCode\":%lu,\"LastWaitResult\":0}",
		(unsigned long)p->pid, p->exited ? "true" : "false", (unsigned long)p->exit_code);
}

static char *status_doc(const struct process *p)
{
	struct sb b = {0};
	proc_status(&b, p);
	return sb_take(&b);
}

bool proc_exit(struct process *p, DWORD code, struct evlist *evs)
{
	if (!p->started || p->exited)
		return false;
	p->exited = true;
	p->exit_code = code;
	SetEvent(p->stop_ev);
	if (evs && g_drop_exits > 0) {
		g_drop_exits--;
		evs = NULL;
	}
	char *doc = evs ? status_doc(p) : NULL;
	for (struct phandle *h = evs ? p->handles : NULL; h; h = h->next)
		ev_add(evs, &h->s, HcsEventProcessExited, doc, NULL);
	free(doc);
	wake_all();
	return true;
}

/* ---- the interpreter --------------------------------------------------- */

static bool word_is(const char *s, const char *w, const char **rest)
{
	size_t n = strlen(w);
	if (_strnicmp(s, w, n) != 0 || (s[n] && s[n] != ' ' && s[n] != '\t'))
		return false;
	*rest = s + n;
	return true;
}

static const char *skip_blank(const char *s)
{
	while (*s == ' ' || *s == '\t')
		s++;
	return s;
}

static ULONGLONG number(const char **s)
{
	const char *p = skip_blank(*s);
	char *end;
	ULONGLONG v = (p[0] == '0' && (p[1] == 'x' || p[1] == 'X'))
			      ? strtoull(p + 2, &end, 16)
			      : strtoull(p, &end, 10);
	*s = end;
	return v;
}

/* The command line without a leading "cmd /c " or "cmd.exe /c ". */
static const char *strip_cmd(const char *s)
{
	const char *r;
	s = skip_blank(s);
	if (word_is(s, "cmd", &r) || word_is(s, "cmd.exe", &r)) {
		r = skip_blank(r);
		if (r[0] == '/' && (r[1] == 'c' || r[1] == 'C') && (r[2] == ' ' || r[2] == 0))
			return skip_blank(r + 2);
	}
	return s;
}

static bool parse_command(const char *line, struct command *c)
{
	const char *r;
	memset(c, 0, sizeof(*c));
	if (word_is(line, "echo", &r)) {
		c->kind = CMD_ECHO;
		c->text = *r ? r + 1 : r;
	} else if (word_is(line, "exit", &r)) {
		c->kind = CMD_EXIT;
		c->a = number(&r) & 0xFFFFFFFFULL;
	} else if (word_is(line, "cat", &r)) {
		c->kind = CMD_CAT;
	} else if (word_is(line, "spew", &r)) {
		c->kind = CMD_SPEW;
		c->a = number(&r);
		c->b = number(&r);
	} else if (word_is(line, "wait", &r)) {
		c->kind = CMD_WAIT;
	} else if (word_is(line, "sleep", &r)) {
		c->kind = CMD_SLEEP;
		c->a = number(&r);
	} else {
		return false;
	}
	return true;
}

/* One overlapped transfer, abandoned when the process must stop (or, for
 * reads, when stdin is closed through HcsModifyProcess). */
static bool xfer(struct process *p, HANDLE io, HANDLE h, void *buf, DWORD n, bool write,
		 DWORD *done)
{
	OVERLAPPED ov = {0};
	ov.hEvent = io;
	ResetEvent(io);
	*done = 0;
	BOOL ok = write ? WriteFile(h, buf, n, NULL, &ov) : ReadFile(h, buf, n, NULL, &ov);
	if (!ok && GetLastError() != ERROR_IO_PENDING)
		return false;
	HANDLE w[3] = {io, p->stop_ev, p->stdin_ev};
	DWORD r = WaitForMultipleObjects(write ? 2 : 3, w, FALSE, INFINITE);
	if (r != WAIT_OBJECT_0)
		CancelIoEx(h, &ov);
	ok = GetOverlappedResult(h, &ov, done, TRUE);
	return ok && r == WAIT_OBJECT_0;
}

static bool write_all(struct process *p, HANDLE io, HANDLE h, const char *buf, size_t n)
{
	while (n > 0) {
		DWORD done, chunk = n > 65536 ? 65536 : (DWORD)n;
		if (!xfer(p, io, h, (void *)buf, chunk, true, &done))
			return false;
		buf += done;
		n -= done;
	}
	return true;
}

static void spew(struct process *p, HANDLE io, HANDLE h, ULONGLONG n)
{
	static const char pat[] = "0123456789abcdef";
	char buf[4096];
	for (size_t i = 0; i < sizeof(buf); i++)
		buf[i] = pat[i % 16];
	while (h && n > 0) {
		size_t chunk = n > sizeof(buf) ? sizeof(buf) : (size_t)n;
		if (!write_all(p, io, h, buf, chunk))
			return;
		n -= chunk;
	}
}

static DWORD WINAPI proc_main(void *arg)
{
	struct worker *w = arg;
	struct process *p = w->p;
	HANDLE io = CreateEventW(NULL, TRUE, FALSE, NULL);
	DWORD code = 0;
	if (!io) {
		code = 1;
	} else {
		switch (w->cmd.kind) {
		case CMD_ECHO:
			if (p->my_out) {
				size_t n = strlen(w->cmd.text);
				char *line = malloc(n + 3);
				if (line) {
					memcpy(line, w->cmd.text, n);
					memcpy(line + n, "\r\n", 3);
					write_all(p, io, p->my_out, line, n + 2);
					free(line);
				}
			}
			break;
		case CMD_EXIT:
			code = (DWORD)w->cmd.a;
			break;
		case CMD_CAT: {
			char buf[4096];
			DWORD n;
			while (p->my_in && xfer(p, io, p->my_in, buf, sizeof(buf), false, &n)) {
				if (p->my_out && n && !write_all(p, io, p->my_out, buf, n))
					break;
			}
			break;
		}
		case CMD_SPEW:
			spew(p, io, p->my_err, w->cmd.a);
			spew(p, io, p->my_out, w->cmd.b);
			break;
		case CMD_WAIT:
			WaitForSingleObject(p->stop_ev, INFINITE);
			break;
		case CMD_SLEEP:
			WaitForSingleObject(p->stop_ev, (DWORD)(w->cmd.a >= INFINITE ? INFINITE - 1 : w->cmd.a));
			break;
		}
		CloseHandle(io);
	}
	free(w);

	/* Closing our ends gives the reader EOF after the buffered data. */
	/* HCS lets go of its copies of the caller's ends too. */
	struct evlist evs = {0};
	lock();
	HANDLE hs[6] = {p->my_in, p->my_out, p->my_err, p->held[0], p->held[1], p->held[2]};
	p->my_in = p->my_out = p->my_err = NULL;
	p->held[0] = p->held[1] = p->held[2] = NULL;
	proc_exit(p, code, &evs); /* no-op if terminated or signalled */
	proc_release(p);
	unlock();
	for (int i = 0; i < 6; i++)
		if (hs[i])
			CloseHandle(hs[i]);
	ev_deliver(&evs);
	return 0;
}

/* A named pipe: *mine for the mock, *theirs for the caller (both overlapped). */
static bool make_pipe(bool to_process, HANDLE *mine, HANDLE *theirs)
{
	static LONG seq;
	char name[96];
	snprintf(name, sizeof(name), "\\\\.\\pipe\\hcsmock-%lu-%ld",
		 (unsigned long)GetCurrentProcessId(), InterlockedIncrement(&seq));
	*mine = CreateNamedPipeA(name,
				 (to_process ? PIPE_ACCESS_INBOUND : PIPE_ACCESS_OUTBOUND) |
					 FILE_FLAG_OVERLAPPED | FILE_FLAG_FIRST_PIPE_INSTANCE,
				 PIPE_TYPE_BYTE | PIPE_READMODE_BYTE | PIPE_WAIT, 1, 65536, 65536,
				 0, NULL);
	if (*mine == INVALID_HANDLE_VALUE) {
		*mine = NULL;
		return false;
	}
	*theirs = CreateFileA(name,
			      to_process ? GENERIC_WRITE | FILE_READ_ATTRIBUTES
					 : GENERIC_READ | FILE_WRITE_ATTRIBUTES,
			      0, NULL, OPEN_EXISTING, FILE_FLAG_OVERLAPPED, NULL);
	if (*theirs == INVALID_HANDLE_VALUE) {
		CloseHandle(*mine);
		*mine = *theirs = NULL;
		return false;
	}
	return true;
}

static bool flag(const struct jval *doc, const char *key)
{
	const struct jval *v = json_get(doc, key);
	return v && v->t == J_BOOL && v->b;
}

static void create_done(struct process *p, const char *params, struct outcome *out)
{
	struct system *sys = p->sys;
	struct jval *doc = NULL;
	struct worker *w = NULL;
	HANDLE theirs[3] = {0};
	const char *line;
	if (!sys->registered) {
		out->hr = MOCK_E_SYSTEM_NOT_FOUND;
	} else if (sys->state != SS_RUNNING) {
		out->hr = MOCK_E_INVALID_STATE;
	} else if (!(doc = json_parse(params))) {
		out->hr = MOCK_E_INVALID_JSON;
	} else if (!(line = json_str(json_get(doc, "CommandLine")))) {
		out->hr = E_INVALIDARG;
	} else if (!(w = calloc(1, sizeof(*w))) || !(p->cmd = str_dup(strip_cmd(line)))) {
		out->hr = E_OUTOFMEMORY;
	} else if (!parse_command(p->cmd, &w->cmd)) {
		out->hr = HRESULT_FROM_WIN32(ERROR_FILE_NOT_FOUND);
	} else if ((flag(doc, "CreateStdInPipe") && !make_pipe(true, &p->my_in, &theirs[0])) ||
		   (flag(doc, "CreateStdOutPipe") && !make_pipe(false, &p->my_out, &theirs[1])) ||
		   (flag(doc, "CreateStdErrPipe") && !make_pipe(false, &p->my_err, &theirs[2]))) {
		out->hr = HRESULT_FROM_WIN32(GetLastError());
		if (SUCCEEDED(out->hr))
			out->hr = E_FAIL;
	} else {
		w->p = p;
		p->refs++; /* the worker's */
		p->pid = g_next_pid;
		p->started = true;
		p->create_time = now_100ns();
		/* HCS keeps the caller's ends, and hands out copies. The worker
		 * lets go of them when the process exits, under the lock, so
		 * not before the create operation has handed them out. */
		memcpy(p->held, theirs, sizeof(theirs));
		HANDLE t = CreateThread(NULL, 0, proc_main, w, 0, NULL);
		if (t) {
			CloseHandle(t);
			g_next_pid += 4;
			w = NULL;
			out->hr = S_OK;
		} else {
			memset(p->held, 0, sizeof(p->held));
			p->refs--;
			p->started = false;
			out->hr = HRESULT_FROM_WIN32(GetLastError());
		}
	}
	if (FAILED(out->hr)) {
		p->failed = true;
		HANDLE hs[6] = {theirs[0], theirs[1], theirs[2], p->my_in, p->my_out, p->my_err};
		for (int i = 0; i < 6; i++)
			if (hs[i])
				CloseHandle(hs[i]);
		p->my_in = p->my_out = p->my_err = NULL;
		wake_all();
	}
	free(w);
	json_free(doc);
}

/*
 * Hands the caller the process's pipes (lock held): stdin once — HCS keeps
 * no copy of it, so that closing the caller's end still gives the process
 * end of file — and stdout and stderr as fresh duplicates of HCS's copies,
 * on every request (HcsCreateProcess.md: "You can still get this through a
 * call to HcsGetProcessInfo"). A stream the process does not have is NULL,
 * or INVALID_HANDLE_VALUE with MockInvalidStdio (as hcsshim,
 * internal/hcs/v2/utils.go, reports of HcsGetProcessInfo).
 */
static void proc_give(struct process *p, struct outcome *out)
{
	HANDLE none = g_invalid_stdio ? INVALID_HANDLE_VALUE : NULL;
	HANDLE got[3] = {none, none, none};
	for (int i = 1; i < 3; i++) {
		if (p->held[i] && !DuplicateHandle(GetCurrentProcess(), p->held[i], GetCurrentProcess(),
						   &got[i], 0, FALSE, DUPLICATE_SAME_ACCESS)) {
			out->hr = HRESULT_FROM_WIN32(GetLastError());
			if (SUCCEEDED(out->hr))
				out->hr = E_FAIL;
			if (i == 2 && got[1] != none)
				CloseHandle(got[1]);
			return;
		}
	}
	if (p->held[0]) {
		got[0] = p->held[0];
		p->held[0] = NULL;
	}
	out->hr = S_OK;
	out->has_pi = true;
	out->pi = (HCS_PROCESS_INFORMATION){p->pid, 0, got[0], got[1], got[2]};
}

static void modify(struct process *p, const char *arg, struct outcome *out)
{
	struct jval *doc = json_parse(arg);
	const char *op = json_str(json_get(doc, "Operation"));
	if (!doc) {
		out->hr = MOCK_E_INVALID_JSON;
	} else if (p->exited) {
		out->hr = stopped_hr();
	} else if (op && strcmp(op, "ConsoleSize") == 0) {
		out->hr = S_OK; /* accepted, nothing to resize */
	} else if (op && strcmp(op, "CloseHandle") == 0) {
		const char *which = json_str(json_get(json_get(doc, "CloseHandle"), "Handle"));
		if (which && (strcmp(which, "StdIn") == 0 || strcmp(which, "All") == 0))
			SetEvent(p->stdin_ev); /* the worker closes its end: cat sees EOF */
		out->hr = which ? S_OK : E_INVALIDARG;
	} else {
		out->hr = E_INVALIDARG;
	}
	json_free(doc);
}

static void do_signal(struct process *p, const char *arg, struct outcome *out)
{
	static const char *const signals[] = {"CtrlC", "CtrlBreak", "CtrlClose", "CtrlLogOff",
					      "CtrlShutdown"};
	struct jval *doc = arg ? json_parse(arg) : NULL;
	const char *sig = json_str(json_get(doc, "Signal"));
	/* The options are optional: without them, or without a Signal member,
	 * CtrlC is sent, as in hcssim. */
	bool known = sig == NULL;
	for (size_t i = 0; sig && i < sizeof(signals) / sizeof(signals[0]); i++)
		known = known || strcmp(sig, signals[i]) == 0;
	if (arg && !doc)
		out->hr = MOCK_E_INVALID_JSON;
	else if (p->exited)
		out->hr = stopped_hr();
	else if (!known)
		out->hr = E_INVALIDARG;
	else
		proc_exit(p, STATUS_CONTROL_C_EXIT, &out->evs);
	json_free(doc);
}

void proc_run(struct process *p, const struct call *c, const char *arg, struct outcome *out)
{
	out->hr = S_OK;
	if (c->act == ACT_CREATEPROC) {
		create_done(p, arg, out);
		/* MockFailCreateProcessRunning: the operation fails, the process
		 * runs on (hcsshim, internal/hcs/v2/system.go, createProcess:
		 * seen on Windows Server 2022); the pipes stay with HCS. */
		if (SUCCEEDED(out->hr) && FAILED(c->fail_running))
			out->hr = c->fail_running;
		else if (SUCCEEDED(out->hr))
			proc_give(p, out);
		return;
	}
	if (!p->started) {
		out->hr = MOCK_E_PROCESS_INFO_NOT_AVAILABLE;
		return;
	}
	switch (c->act) {
	case ACT_PROCINFO:
		/* Of an exited process: hcsshim (internal/hcs/v2/system.go)
		 * reports HCS_E_PROCESS_ALREADY_STOPPED. */
		if (p->exited)
			out->hr = stopped_hr();
		else
			proc_give(p, out);
		break;
	case ACT_PROCPROPS:
		if (arg && *arg && !json_valid(arg)) {
			out->hr = MOCK_E_INVALID_JSON;
		} else {
			out->doc = status_doc(p);
			out->hr = out->doc ? S_OK : E_OUTOFMEMORY;
		}
		break;
	case ACT_TERMPROC:
		if (!proc_exit(p, 1, &out->evs))
			out->hr = stopped_hr();
		break;
	case ACT_SIGNAL:
		do_signal(p, arg, out);
		break;
	case ACT_MODIFYPROC:
		modify(p, arg, out);
		break;
	default:
		out->hr = E_UNEXPECTED;
	}
}

/* ---- entry points ------------------------------------------------------ */

HRESULT WINAPI HcsCreateProcess(HCS_SYSTEM computeSystem, PCWSTR processParameters,
				HCS_OPERATION operation, const SECURITY_DESCRIPTOR *securityDescriptor,
				HCS_PROCESS *process)
{
	(void)securityDescriptor;
	if (!process)
		return E_POINTER;
	*process = NULL;
	if (!processParameters || !*processParameters)
		return E_INVALIDARG;
	HRESULT hr;
	lock();
	struct shandle *sh = sys_handle(computeSystem, "HcsCreateProcess", &hr);
	h_use(operation, HK_OP, "HcsCreateProcess"); /* fatal if bad, before anything is made */
	if (sh) {
		struct process *p = proc_new(sh->sys);
		struct phandle *ph = p ? proc_handle_new(p, sh) : NULL;
		if (!ph) {
			hr = E_OUTOFMEMORY;
		} else {
			struct call c = {"HcsCreateProcess", ACT_CREATEPROC, HcsOperationTypeCreateProcess,
					 &sh->s, computeSystem, (HCS_PROCESS)ph, NULL, p,
					 processParameters, NULL, S_OK};
			hr = op_call(operation, &c);
			if (SUCCEEDED(hr)) {
				htab_add(&ph->s.h);
				*process = (HCS_PROCESS)ph;
			} else {
				p->handles = NULL;
				sink_release(&ph->s);
			}
		}
		if (p && FAILED(hr)) {
			p->member = false;
			proc_release(p); /* drop the membership: the process never was */
		}
	}
	unlock();
	return hr;
}

HRESULT WINAPI HcsOpenProcess(HCS_SYSTEM computeSystem, DWORD processId, DWORD requestedAccess,
			      HCS_PROCESS *process)
{
	(void)requestedAccess;
	if (!process)
		return E_POINTER;
	*process = NULL;
	HRESULT hr;
	bool sync;
	lock();
	struct shandle *sh = sys_handle(computeSystem, "HcsOpenProcess", &hr);
	if (sh && !fault_take("HcsOpenProcess", &hr, &sync)) {
		struct process *p = sh->sys->procs;
		while (p && !(p->started && p->pid == processId))
			p = p->next;
		struct phandle *ph = NULL;
		if (!sh->sys->registered)
			hr = MOCK_E_SYSTEM_NOT_FOUND;
		else if (!p)
			hr = HRESULT_FROM_WIN32(ERROR_NOT_FOUND);
		else if (!(ph = proc_handle_new(p, sh)))
			hr = E_OUTOFMEMORY;
		if (ph) {
			htab_add(&ph->s.h);
			*process = (HCS_PROCESS)ph;
		}
	}
	unlock();
	return hr;
}

void WINAPI HcsCloseProcess(HCS_PROCESS process)
{
	struct evlist late = {0};
	lock();
	struct phandle *h = (struct phandle *)h_use(process, HK_PROC, "HcsCloseProcess");
	h_closed(&h->s.h, "HcsCloseProcess");
	handle_unlink(h);
	sink_quiesce(&h->s);
	if (g_late_events && h->s.cb) {
		struct process p = *h->proc;
		p.exited = true;
		if (!h->proc->exited)
			p.exit_code = 1;
		char *doc = status_doc(&p);
		ev_add_late(&late, h->s.cb, h->s.ctx, HcsEventProcessExited, doc);
		free(doc);
	}
	sink_release(&h->s);
	unlock();
	ev_post(&late, 20);
}

static HRESULT proc_call(const char *fn, enum action act, HCS_OPERATION_TYPE type,
			 HCS_PROCESS process, HCS_OPERATION operation, PCWSTR arg)
{
	HRESULT hr;
	lock();
	struct phandle *h = proc_handle(process, fn, &hr);
	if (h) {
		/* Signals and terminations queue up per system handle. */
		struct shandle *q = act == ACT_SIGNAL || act == ACT_TERMPROC ? h->via : NULL;
		struct call c = {fn, act, type, &h->s, NULL, process, NULL, h->proc, arg, q, S_OK};
		hr = op_call(operation, &c);
	}
	unlock();
	return hr;
}

HRESULT WINAPI HcsTerminateProcess(HCS_PROCESS process, HCS_OPERATION operation, PCWSTR options)
{
	return proc_call("HcsTerminateProcess", ACT_TERMPROC, HcsOperationTypeTerminate, process,
			 operation, options);
}

HRESULT WINAPI HcsSignalProcess(HCS_PROCESS process, HCS_OPERATION operation, PCWSTR options)
{
	return proc_call("HcsSignalProcess", ACT_SIGNAL, HcsOperationTypeSignalProcess, process,
			 operation, options);
}

HRESULT WINAPI HcsGetProcessInfo(HCS_PROCESS process, HCS_OPERATION operation)
{
	return proc_call("HcsGetProcessInfo", ACT_PROCINFO, HcsOperationTypeGetProcessInfo,
			 process, operation, NULL);
}

HRESULT WINAPI HcsGetProcessProperties(HCS_PROCESS process, HCS_OPERATION operation,
				       PCWSTR propertyQuery)
{
	return proc_call("HcsGetProcessProperties", ACT_PROCPROPS,
			 HcsOperationTypeGetProcessProperties, process, operation, propertyQuery);
}

HRESULT WINAPI HcsModifyProcess(HCS_PROCESS process, HCS_OPERATION operation, PCWSTR settings)
{
	if (!settings || !*settings)
		return E_INVALIDARG;
	return proc_call("HcsModifyProcess", ACT_MODIFYPROC, HcsOperationTypeModifyProcess,
			 process, operation, settings);
}

HRESULT WINAPI HcsSetProcessCallback(HCS_PROCESS process, HCS_EVENT_OPTIONS callbackOptions,
				     void *context, HCS_EVENT_CALLBACK callback)
{
	HRESULT hr;
	bool sync;
	lock();
	struct phandle *h = proc_handle(process, "HcsSetProcessCallback", &hr);
	if (h && !fault_take("HcsSetProcessCallback", &hr, &sync)) {
		if (!callback) {
			hr = E_INVALIDARG;
		} else if (h->s.cb) {
			hr = MOCK_E_CALLBACK_ALREADY_SET;
		} else {
			h->s.cb = callback;
			h->s.ctx = context;
			h->s.opts = callbackOptions;
		}
	}
	unlock();
	return hr;
}

/* Whether HcsWaitForProcessExit is done waiting for the process. */
static HRESULT process_exited(const void *obj, char **doc)
{
	const struct process *p = obj;
	if (p->exited)
		return (*doc = status_doc(p)) ? S_OK : E_OUTOFMEMORY;
	if (p->failed)
		return MOCK_E_PROCESS_INFO_NOT_AVAILABLE;
	return S_FALSE;
}

HRESULT WINAPI HcsWaitForProcessExit(HCS_PROCESS computeSystem, DWORD timeoutMs, PWSTR *result)
{
	if (result)
		*result = NULL;
	HRESULT hr;
	bool sync;
	ULONGLONG deadline = deadline_after(timeoutMs);
	char *doc = NULL;
	lock();
	struct phandle *h = proc_handle(computeSystem, "HcsWaitForProcessExit", &hr);
	if (h && !fault_take("HcsWaitForProcessExit", &hr, &sync))
		hr = wait_exit(&h->s, h->proc, process_exited, deadline, &doc);
	unlock();
	if (SUCCEEDED(hr))
		hr = result_out(result, doc);
	free(doc);
	return hr;
}
