/*
 * Internal declarations shared by the mock computecore.dll sources.
 *
 * Everything mutable lives behind one SRW lock (g_lock). User callbacks are
 * never called while it is held: the Go side calls back into the DLL from
 * its callbacks. Objects are reference counted under the lock, so a handle
 * closed by one thread stays valid memory for work still queued on another.
 */
#ifndef HCSMOCK_MOCK_H
#define HCSMOCK_MOCK_H

#define WIN32_LEAN_AND_MEAN
#include <windows.h>
#include <computecore.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h> /* __MINGW_PRINTF_FORMAT */

/* HRESULTs of HCSHResult.md (winerror.h of mingw does not have them). */
#define MOCK_E_TERMINATED_DURING_START ((HRESULT)0x80370100L)
#define MOCK_E_INVALID_STATE ((HRESULT)0x80370105L)
#define MOCK_E_UNEXPECTED_EXIT ((HRESULT)0x80370106L)
#define MOCK_E_INVALID_JSON ((HRESULT)0x8037010DL)
#define MOCK_E_SYSTEM_NOT_FOUND ((HRESULT)0x8037010EL)
#define MOCK_E_SYSTEM_ALREADY_EXISTS ((HRESULT)0x8037010FL)
#define MOCK_E_SYSTEM_ALREADY_STOPPED ((HRESULT)0x80370110L)
#define MOCK_E_OPERATION_NOT_STARTED ((HRESULT)0x80370115L)
#define MOCK_E_OPERATION_ALREADY_STARTED ((HRESULT)0x80370116L)
#define MOCK_E_OPERATION_PENDING ((HRESULT)0x80370117L)
#define MOCK_E_OPERATION_TIMEOUT ((HRESULT)0x80370118L)
#define MOCK_E_CALLBACK_ALREADY_SET ((HRESULT)0x80370119L)
#define MOCK_E_PROCESS_INFO_NOT_AVAILABLE ((HRESULT)0x8037011DL)
#define MOCK_E_SERVICE_DISCONNECT ((HRESULT)0x8037011EL)
#define MOCK_E_PROCESS_ALREADY_STOPPED ((HRESULT)0x8037011FL)

/* ---- json.c: a small JSON parser and a JSON text builder -------------- */

#include "json.h"

/* ---- core.c: lock, handle table, strings, results, pool, events ------- */

void lock(void);
void unlock(void);
/* The global condition variable: exit waits and close's quiescence. */
void wake_all(void);
/* Sleep on the global condition variable; false once deadline (ms tick) passed. */
bool cv_wait(ULONGLONG deadline);
/* Sleep on cv (lock held); false once deadline passed. Waiters that only
 * care about one object sleep on its own variable, so that one completion
 * does not wake every waiting thread. */
bool cv_wait_on(CONDITION_VARIABLE *cv, ULONGLONG deadline);
ULONGLONG deadline_after(DWORD ms);

enum hkind { HK_OP = 1, HK_SYS, HK_PROC };
struct hobj {
	struct hobj *hnext;
	enum hkind kind;
};
void htab_add(struct hobj *h);
void htab_del(struct hobj *h);
/* The live object at p of any kind, or NULL; never dereferences p. */
struct hobj *htab_find(const void *p);
UINT32 htab_count(void);
void htab_each(enum hkind kind, void (*fn)(struct hobj *h, void *arg), void *arg);
/* Removes every handle; returns a malloc'd array of them (count in *n). */
struct hobj **htab_drain(size_t *n);

char *utf8_dup(PCWSTR w);        /* NULL for NULL */
WCHAR *wide_dup(const char *s);  /* NULL for NULL */
char *str_dup(const char *s);
ULONGLONG now_100ns(void);       /* FILETIME units */
void fmt_time(char out[40], ULONGLONG t100ns); /* RFC 3339, UTC */
void new_guid(char out[40]);

/* A result string for the caller (LocalAlloc, tracked); NULL for NULL. */
PWSTR result_alloc(const char *utf8);
/* Stores a result string in *out (when out is not NULL). */
HRESULT result_out(PWSTR *out, const char *utf8);
void results_reset(void);
UINT32 results_outstanding(void);
UINT32 results_allocated(void);

/* A ResultError document for a failed call. */
char *result_error(HRESULT hr, const char *fn, const char *sysid);

/* Global mock state (under lock). */
extern bool g_disconnected;
extern DWORD g_delay_ms;
extern bool g_late_events;
extern volatile LONG g_inflight;
/* The knobs of MockFailCreateProcessRunning, MockDropNextProcessExit,
 * MockStoppedProcessError, MockSystemExitDropsProcessExits, MockInvalidStdio. */
extern HRESULT g_fail_create_running;
extern UINT32 g_drop_exits;
extern HRESULT g_stopped_hr;
extern bool g_sysexit_drops;
extern bool g_invalid_stdio;
/* What a call on an exited process fails with. */
HRESULT stopped_hr(void);

enum fkind { F_FAIL, F_EXIT, F_HOLD };
/* Takes the next injected failure for fn, if any. */
bool fault_take(const char *fn, HRESULT *hr, bool *sync);
bool exit_take(const char *fn);
bool hold_take(const char *fn);
LONG held_calls(void);
void fault_add(const char *fn, enum fkind kind, HRESULT hr, bool sync);
void faults_reset(void);

/* ---- misuse.c: calls on closed or bogus handles ----------------------- */

/*
 * Real computecore.dll dereferences its handles: a call on a closed or
 * bogus one crashes it or corrupts its state. The mock makes each such call
 * a fatal test failure with a diagnostic instead of answering E_HANDLE.
 */

/* The live handle p of kind, for a call of entry point fn (lock held).
 * Anything else — NULL, never handed out, closed, of another kind — is
 * fatal: the lock is released and the diagnostic reported; it never
 * returns then. */
struct hobj *h_use(const void *p, enum hkind kind, const char *fn);
/* Records that fn closes the live handle h (lock held, before htab_del). */
void h_closed(const struct hobj *h, const char *fn);
/* Forgets the closed-handle record of a value handed out again (lock held). */
void h_reused(const void *p);
/* Frees a handle object's memory after a quarantine (lock held), so that a
 * value is not handed out again at once and a stale use is still told
 * apart from a use of a new object. */
void h_free(void *p);
void misuse_set_label(const char *label); /* copied; lock held */
void misuse_init(void);                    /* DllMain: starts the clock */

bool pool_submit(PTP_SIMPLE_CALLBACK fn, void *ctx);
bool pool_timer(PTP_TIMER_CALLBACK fn, void *ctx, DWORD ms);
/* Marks the current thread as running a user callback (nesting allowed). */
void cb_enter(void);
void cb_leave(void);
bool in_callback(void);

/* The common head of system and process handles: the event registration. */
struct evsink {
	struct hobj h;
	int refs;      /* 1 while open, + queued events, pending operations, process handles */
	bool closed;
	HCS_EVENT_CALLBACK cb;
	void *ctx;
	HCS_EVENT_OPTIONS opts;
	int in_cb;     /* event callbacks now running */
	bool stale;    /* open at a MockDisconnect: every call but close fails, after MockReconnect too */
};
void sink_release(struct evsink *s); /* under lock */
/* Waits (lock held) until no event callback of s runs, unless we are one. */
void sink_quiesce(struct evsink *s);
/* The HcsWaitFor*Exit loop (lock held): until the service disconnects, s is
 * closed, the deadline passes or done(obj, doc) returns other than S_FALSE.
 * done sees the object under the lock and may set *doc (malloc'd). */
HRESULT wait_exit(struct evsink *s, const void *obj, HRESULT (*done)(const void *obj, char **doc),
		  ULONGLONG deadline, char **doc);

struct event {
	struct event *next;
	struct evsink *sink; /* ref; NULL for late events */
	HCS_EVENT_CALLBACK cb;
	void *ctx;
	HCS_EVENT_TYPE type;
	WCHAR *data;
	HCS_OPERATION op;
	DWORD delay_ms;
};
struct evlist {
	struct event *head, *tail;
};
/* Queues an event for the sink's callback (under lock; no-op without one). */
void ev_add(struct evlist *l, struct evsink *s, HCS_EVENT_TYPE type,
	    const char *data, HCS_OPERATION op);
/* Queues an event for a callback whose handle is gone (late event). */
void ev_add_late(struct evlist *l, HCS_EVENT_CALLBACK cb, void *ctx,
		 HCS_EVENT_TYPE type, const char *data);
/* Delivers in order on this thread (not under lock; never a caller thread). */
void ev_deliver(struct evlist *l);
/* Delivers on a pool thread after delay_ms (for calls on a caller thread). */
void ev_post(struct evlist *l, DWORD delay_ms);

/* ---- operations.c ------------------------------------------------------ */

enum action {
	ACT_NONE, ACT_ENUM, ACT_CREATE, ACT_START, ACT_SHUTDOWN, ACT_TERMINATE,
	ACT_CRASH, ACT_PAUSE, ACT_RESUME, ACT_SAVE, ACT_PROPS, ACT_MODIFY,
	ACT_CREATEPROC, ACT_SIGNAL, ACT_PROCINFO, ACT_PROCPROPS, ACT_MODIFYPROC,
	ACT_TERMPROC
};

struct system;
struct process;

/* What an asynchronous call asks for, handed to op_begin. */
struct call {
	const char *fn;
	enum action act;
	HCS_OPERATION_TYPE type;
	struct evsink *sink;      /* handle the call was made on (may be NULL) */
	HCS_SYSTEM sysval;        /* returned by HcsGetComputeSystemFromOperation */
	HCS_PROCESS procval;      /* returned by HcsGetProcessFromOperation */
	struct system *sys;       /* target, or NULL */
	struct process *proc;     /* target, or NULL */
	PCWSTR arg;               /* the call's JSON document, or NULL */
	struct shandle *queue;    /* system handle whose control queue it joins, or NULL */
	HRESULT fail_running;     /* create process: fail with this once the process runs */
};

/* The outcome of running an action at completion time (under lock). */
struct outcome {
	HRESULT hr;
	char *doc;
	bool has_pi;
	HCS_PROCESS_INFORMATION pi;
	struct evlist evs;
};

/*
 * Validates the handle and operation of an asynchronous call and starts it.
 * Takes and releases the lock itself; returns the call's HRESULT.
 */
HRESULT op_call(HCS_OPERATION operation, struct call *c);
void ops_disconnect(void); /* completes every pending op (under lock) */
void ops_release_held(void); /* MockReleaseHeld, MockReset (under lock) */
void op_drop(struct hobj *h); /* MockReset: invalidates an op handle */

/* ---- systems.c --------------------------------------------------------- */

enum sstate { SS_CREATING, SS_FAILED, SS_CREATED, SS_RUNNING, SS_PAUSED,
	      SS_STOPPED, SS_SAVED };

struct system {
	int refs;                 /* handles + processes + registry */
	bool registered;
	struct system *next;      /* registry list */
	WCHAR *idw;
	char *id;
	char *owner;
	bool vm;
	bool term_on_close;
	char runtime_id[40];
	enum sstate state;
	const char *exit_type;
	ULONGLONG start_time;
	int nhandles;             /* open system handles */
	struct shandle *handles;  /* open system handles */
	struct process *procs;
};

struct shandle {
	struct evsink s;
	struct system *sys;
	struct shandle *next;
};

void sys_release(struct system *sys);
void sys_handle_free(struct shandle *h);
void sys_run(struct system *sys, const struct call *c, const char *arg,
	     struct outcome *out);
void sys_enumerate(const char *query, struct outcome *out);
/* Stops sys (under lock): processes exit, SystemExited queued. */
void sys_stop(struct system *sys, const char *exit_type, struct evlist *evs);
void sys_drop(struct hobj *h, struct evlist *evs); /* MockReset */
/* Looks up a live system handle; *hr is E_HANDLE or the disconnect error. */
struct shandle *sys_handle(HCS_SYSTEM cs, const char *fn, HRESULT *hr);
void systems_reset(struct evlist *evs);             /* MockReset */
void systems_disconnect(struct evlist *evs);
BOOL WINAPI MockSystemActive(const char *id); /* for the mock vmcompute.dll */
BOOL WINAPI MockServiceDisconnected(void);     /* for the mock vmcompute.dll (mockctl.c) */

/* ---- layers.c ---------------------------------------------------------- */

/* Asks the mock vmcompute.dll whether a create may proceed (under lock);
 * on refusal sets out->hr and out->doc and returns the HRESULT. */
HRESULT layers_check(const char *id, const char *config, const struct jval *doc, struct outcome *out);

/* ---- processes.c ------------------------------------------------------- */

struct process {
	int refs;                 /* handles + worker + system membership */
	struct process *next;     /* in sys->procs */
	struct system *sys;       /* ref */
	bool member;
	DWORD pid;
	bool started, failed, exited;
	DWORD exit_code;
	char *cmd;                /* command line, "cmd /c" stripped */
	HANDLE my_in, my_out, my_err;   /* the mock's pipe ends (worker's) */
	HANDLE held[3];           /* HCS's copies of the caller's ends: in, out, err */
	HANDLE stop_ev;           /* set when the process must stop */
	HANDLE stdin_ev;          /* set when stdin is closed by modify */
	ULONGLONG create_time;
	struct phandle *handles;
};

struct phandle {
	struct evsink s;
	struct process *proc;
	struct shandle *via;      /* ref: the system handle it was created or opened on */
	struct phandle *next;
};

struct process *proc_new(struct system *sys); /* under lock, refs = 1 */
void proc_release(struct process *p);
struct phandle *proc_handle_new(struct process *p, struct shandle *via);
void proc_handle_free(struct phandle *h);
void proc_run(struct process *p, const struct call *c, const char *arg,
	      struct outcome *out);
/* Marks p exited (under lock); false if it already was. ProcessExited goes
 * to evs, unless evs is NULL or MockDropNextProcessExit asked for silence. */
bool proc_exit(struct process *p, DWORD code, struct evlist *evs);
void procs_disconnect(struct evlist *evs);
void proc_status(struct sb *b, const struct process *p);
void proc_drop(struct hobj *h);  /* MockReset */
void procs_reset(void);

#endif
