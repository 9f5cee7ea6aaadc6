/*
 * Compute systems: the registry keyed by id, handles, the state machine,
 * properties and enumeration.
 */
#include "mock.h"

#include <stdlib.h>
#include <string.h>

static struct system *g_systems; /* registry, in creation order */

static const char *const g_state_names[] = {
	[SS_CREATING] = "Created", [SS_FAILED] = "Unknown", [SS_CREATED] = "Created",
	[SS_RUNNING] = "Running", [SS_PAUSED] = "Paused", [SS_STOPPED] = "Stopped",
	[SS_SAVED] = "SavedAsTemplate",
};

void sys_release(struct system *sys)
{
	if (--sys->refs > 0)
		return;
	free(sys->idw);
	free(sys->id);
	free(sys->owner);
	free(sys);
}

void sys_handle_free(struct shandle *h)
{
	sys_release(h->sys);
	h_free(h);
}

static struct system *find_registered(PCWSTR id)
{
	for (struct system *s = g_systems; s; s = s->next)
		if (wcscmp(s->idw, id) == 0)
			return s;
	return NULL;
}

/* Whether the registered system id (UTF-8) is not Stopped: the mock
 * vmcompute.dll refuses to unprepare a scratch such a system uses. */
BOOL WINAPI MockSystemActive(const char *id)
{
	WCHAR *w = wide_dup(id);
	if (!w)
		return TRUE; /* out of memory: busy is the safe answer */
	lock();
	struct system *s = find_registered(w);
	BOOL active = s && s->state != SS_STOPPED;
	unlock();
	free(w);
	return active;
}

static struct shandle *handle_new(struct system *sys)
{
	struct shandle *h = calloc(1, sizeof(*h));
	if (!h)
		return NULL;
	h->s.h.kind = HK_SYS;
	h->s.refs = 1;
	h->sys = sys;
	sys->refs++;
	h->next = sys->handles;
	sys->handles = h;
	sys->nhandles++;
	return h;
}

struct shandle *sys_handle(HCS_SYSTEM cs, const char *fn, HRESULT *hr)
{
	/* A bad handle is fatal before anything else, as on Windows. */
	struct shandle *h = (struct shandle *)h_use(cs, HK_SYS, fn);
	if (g_disconnected || h->s.stale) {
		*hr = MOCK_E_SERVICE_DISCONNECT;
		return NULL;
	}
	*hr = S_OK;
	return h;
}

static char *exit_doc(const char *exit_type)
{
	struct sb b = {0};
	sb_add(&b, "{\"Status\":0,\"ExitType\":");
	sb_str(&b, exit_type);
	sb_add(&b, "}");
	return sb_take(&b);
}

void sys_stop(struct system *sys, const char *exit_type, struct evlist *evs)
{
	struct evlist *pevs = g_sysexit_drops ? NULL : evs;
	for (struct process *p = sys->procs; p; p = p->next)
		if (p->started && !p->exited)
			proc_exit(p, 1, pevs);
	sys->state = SS_STOPPED;
	sys->exit_type = exit_type;
	char *doc = exit_doc(exit_type);
	for (struct shandle *h = sys->handles; h; h = h->next)
		ev_add(evs, &h->s, HcsEventSystemExited, doc, NULL);
	free(doc);
	wake_all();
}

/* Takes sys out of the registry and lets go of its processes. */
static void sys_remove(struct system *sys, struct evlist *evs)
{
	sys->refs++;
	if (sys->registered) {
		for (struct system **pp = &g_systems; *pp; pp = &(*pp)->next) {
			if (*pp == sys) {
				*pp = sys->next;
				break;
			}
		}
		sys->registered = false;
		sys_release(sys); /* the registry's reference */
	}
	for (struct process *p = sys->procs, *next; p; p = next) {
		next = p->next;
		if (p->started && !p->exited)
			proc_exit(p, 1, g_sysexit_drops ? NULL : evs);
		if (p->member) {
			p->member = false;
			proc_release(p);
		}
	}
	wake_all();
	sys_release(sys);
}

/* Unlinks an open handle from its system (under lock). */
static void handle_unlink(struct shandle *h)
{
	struct system *sys = h->sys;
	htab_del(&h->s.h);
	h->s.closed = true;
	for (struct shandle **pp = &sys->handles; *pp; pp = &(*pp)->next) {
		if (*pp == h) {
			*pp = h->next;
			break;
		}
	}
	sys->nhandles--;
}

/* After the last handle of sys closed (under lock). */
static void last_handle_closed(struct system *sys, struct evlist *evs)
{
	if (sys->registered && sys->term_on_close && sys->state != SS_STOPPED)
		sys_stop(sys, "ForcedExit", evs);
	if (!sys->registered || sys->state == SS_STOPPED)
		sys_remove(sys, evs);
}

void sys_drop(struct hobj *hobj, struct evlist *evs)
{
	struct shandle *h = (struct shandle *)hobj;
	h->s.closed = true;
	for (struct shandle **pp = &h->sys->handles; *pp; pp = &(*pp)->next) {
		if (*pp == h) {
			*pp = h->next;
			break;
		}
	}
	h->sys->nhandles--;
	if (h->sys->nhandles == 0 && !h->sys->registered)
		sys_remove(h->sys, evs);
	sink_release(&h->s);
}

void systems_reset(struct evlist *evs)
{
	while (g_systems)
		sys_remove(g_systems, evs);
}

static void disconnect_one(struct hobj *h, void *arg)
{
	struct shandle *sh = (struct shandle *)h;
	sh->s.stale = true; /* it belonged to the lost connection */
	ev_add(arg, &sh->s, HcsEventServiceDisconnect, NULL, NULL);
}

void systems_disconnect(struct evlist *evs)
{
	htab_each(HK_SYS, disconnect_one, evs);
}

/* ---- create / open / close --------------------------------------------- */

HRESULT WINAPI HcsCreateComputeSystem(PCWSTR id, PCWSTR configuration, HCS_OPERATION operation,
				      const SECURITY_DESCRIPTOR *securityDescriptor,
				      HCS_SYSTEM *computeSystem)
{
	(void)securityDescriptor; /* reserved */
	if (!computeSystem)
		return E_POINTER;
	*computeSystem = NULL;
	if (!id || !*id || !configuration || !*configuration)
		return E_INVALIDARG;
	struct system *sys = calloc(1, sizeof(*sys));
	if (!sys)
		return E_OUTOFMEMORY;
	sys->refs = 1;
	sys->state = SS_CREATING;
	sys->idw = _wcsdup(id);
	sys->id = utf8_dup(id);
	if (!sys->idw || !sys->id) {
		free(sys->idw);
		free(sys->id);
		free(sys);
		return E_OUTOFMEMORY;
	}
	lock();
	h_use(operation, HK_OP, "HcsCreateComputeSystem"); /* fatal if bad, before anything is made */
	HRESULT hr = g_disconnected ? MOCK_E_SERVICE_DISCONNECT : S_OK;
	struct shandle *h = SUCCEEDED(hr) ? handle_new(sys) : NULL;
	if (SUCCEEDED(hr) && !h)
		hr = E_OUTOFMEMORY;
	if (SUCCEEDED(hr)) {
		struct call c = {"HcsCreateComputeSystem", ACT_CREATE, HcsOperationTypeCreate,
				 &h->s, (HCS_SYSTEM)h, NULL, sys, NULL, configuration, NULL, S_OK};
		hr = op_call(operation, &c);
		if (SUCCEEDED(hr)) {
			htab_add(&h->s.h);
			*computeSystem = (HCS_SYSTEM)h;
		} else {
			sys->handles = NULL;
			sys->nhandles = 0;
			sink_release(&h->s);
		}
	}
	sys_release(sys); /* the handle (if any) holds it now */
	unlock();
	return hr;
}

HRESULT WINAPI HcsCreateComputeSystemInNamespace(PCWSTR idNamespace, PCWSTR id, PCWSTR configuration,
						 HCS_OPERATION operation, const HCS_CREATE_OPTIONS *options,
						 HCS_SYSTEM *computeSystem)
{
	(void)idNamespace;
	(void)id;
	(void)configuration;
	(void)operation;
	(void)options;
	if (computeSystem)
		*computeSystem = NULL;
	return E_NOTIMPL;
}

HRESULT WINAPI HcsOpenComputeSystem(PCWSTR id, DWORD requestedAccess, HCS_SYSTEM *computeSystem)
{
	(void)requestedAccess;
	if (!computeSystem)
		return E_POINTER;
	*computeSystem = NULL;
	if (!id || !*id)
		return E_INVALIDARG;
	HRESULT hr = S_OK;
	bool sync;
	lock();
	if (g_disconnected) {
		hr = MOCK_E_SERVICE_DISCONNECT;
	} else if (!fault_take("HcsOpenComputeSystem", &hr, &sync)) {
		struct system *sys = find_registered(id);
		struct shandle *h = sys ? handle_new(sys) : NULL;
		if (!sys) {
			hr = MOCK_E_SYSTEM_NOT_FOUND;
		} else if (!h) {
			hr = E_OUTOFMEMORY;
		} else {
			htab_add(&h->s.h);
			*computeSystem = (HCS_SYSTEM)h;
		}
	}
	unlock();
	return hr;
}

HRESULT WINAPI HcsOpenComputeSystemInNamespace(PCWSTR idNamespace, PCWSTR id, DWORD requestedAccess,
					       HCS_SYSTEM *computeSystem)
{
	(void)idNamespace;
	(void)id;
	(void)requestedAccess;
	if (computeSystem)
		*computeSystem = NULL;
	return E_NOTIMPL;
}

void WINAPI HcsCloseComputeSystem(HCS_SYSTEM computeSystem)
{
	struct evlist evs = {0}, late = {0};
	lock();
	struct shandle *h = (struct shandle *)h_use(computeSystem, HK_SYS, "HcsCloseComputeSystem");
	h_closed(&h->s.h, "HcsCloseComputeSystem");
	handle_unlink(h);
	sink_quiesce(&h->s);
	struct system *sys = h->sys;
	if (g_late_events && h->s.cb) {
		char *doc = exit_doc(sys->exit_type ? sys->exit_type : "ForcedExit");
		ev_add_late(&late, h->s.cb, h->s.ctx, HcsEventSystemExited, doc);
		free(doc);
	}
	if (sys->nhandles == 0)
		last_handle_closed(sys, &evs);
	sink_release(&h->s);
	unlock();
	ev_post(&evs, 0);
	ev_post(&late, 20);
}

HRESULT WINAPI HcsSetComputeSystemCallback(HCS_SYSTEM computeSystem, HCS_EVENT_OPTIONS callbackOptions,
					   const void *context, HCS_EVENT_CALLBACK callback)
{
	HRESULT hr;
	bool sync;
	lock();
	struct shandle *h = sys_handle(computeSystem, "HcsSetComputeSystemCallback", &hr);
	if (h && !fault_take("HcsSetComputeSystemCallback", &hr, &sync)) {
		if (!callback) {
			hr = E_INVALIDARG;
		} else if (h->s.cb) {
			hr = MOCK_E_CALLBACK_ALREADY_SET;
		} else {
			h->s.cb = callback;
			h->s.ctx = (void *)context;
			h->s.opts = callbackOptions;
		}
	}
	unlock();
	return hr;
}

/* ---- asynchronous calls ------------------------------------------------ */

static HRESULT sys_call(const char *fn, enum action act, HCS_OPERATION_TYPE type,
			HCS_SYSTEM cs, HCS_OPERATION operation, PCWSTR arg)
{
	HRESULT hr;
	lock();
	struct shandle *h = sys_handle(cs, fn, &hr);
	if (h) {
		struct call c = {fn, act, type, &h->s, cs, NULL, h->sys, NULL, arg, NULL, S_OK};
		hr = op_call(operation, &c);
	}
	unlock();
	return hr;
}

HRESULT WINAPI HcsStartComputeSystem(HCS_SYSTEM computeSystem, HCS_OPERATION operation, PCWSTR options)
{
	return sys_call("HcsStartComputeSystem", ACT_START, HcsOperationTypeStart,
			computeSystem, operation, options);
}

HRESULT WINAPI HcsShutDownComputeSystem(HCS_SYSTEM computeSystem, HCS_OPERATION operation, PCWSTR options)
{
	return sys_call("HcsShutDownComputeSystem", ACT_SHUTDOWN, HcsOperationTypeShutdown,
			computeSystem, operation, options);
}

HRESULT WINAPI HcsTerminateComputeSystem(HCS_SYSTEM computeSystem, HCS_OPERATION operation, PCWSTR options)
{
	return sys_call("HcsTerminateComputeSystem", ACT_TERMINATE, HcsOperationTypeTerminate,
			computeSystem, operation, options);
}

HRESULT WINAPI HcsCrashComputeSystem(HCS_SYSTEM computeSystem, HCS_OPERATION operation, PCWSTR options)
{
	return sys_call("HcsCrashComputeSystem", ACT_CRASH, HcsOperationTypeCrash,
			computeSystem, operation, options);
}

HRESULT WINAPI HcsPauseComputeSystem(HCS_SYSTEM computeSystem, HCS_OPERATION operation, PCWSTR options)
{
	return sys_call("HcsPauseComputeSystem", ACT_PAUSE, HcsOperationTypePause,
			computeSystem, operation, options);
}

HRESULT WINAPI HcsResumeComputeSystem(HCS_SYSTEM computeSystem, HCS_OPERATION operation, PCWSTR options)
{
	return sys_call("HcsResumeComputeSystem", ACT_RESUME, HcsOperationTypeResume,
			computeSystem, operation, options);
}

HRESULT WINAPI HcsSaveComputeSystem(HCS_SYSTEM computeSystem, HCS_OPERATION operation, PCWSTR options)
{
	return sys_call("HcsSaveComputeSystem", ACT_SAVE, HcsOperationTypeSave,
			computeSystem, operation, options);
}

HRESULT WINAPI HcsGetComputeSystemProperties(HCS_SYSTEM computeSystem, HCS_OPERATION operation,
					     PCWSTR propertyQuery)
{
	return sys_call("HcsGetComputeSystemProperties", ACT_PROPS, HcsOperationTypeGetProperties,
			computeSystem, operation, propertyQuery);
}

HRESULT WINAPI HcsModifyComputeSystem(HCS_SYSTEM computeSystem, HCS_OPERATION operation,
				      PCWSTR configuration, HANDLE identity)
{
	(void)identity;
	if (!configuration || !*configuration)
		return E_INVALIDARG;
	return sys_call("HcsModifyComputeSystem", ACT_MODIFY, HcsOperationTypeModify,
			computeSystem, operation, configuration);
}

HRESULT WINAPI HcsEnumerateComputeSystems(PCWSTR query, HCS_OPERATION operation)
{
	HRESULT hr;
	lock();
	h_use(operation, HK_OP, "HcsEnumerateComputeSystems");
	if (g_disconnected) {
		hr = MOCK_E_SERVICE_DISCONNECT;
	} else {
		struct call c = {"HcsEnumerateComputeSystems", ACT_ENUM, HcsOperationTypeEnumerate,
				 NULL, NULL, NULL, NULL, NULL, query, NULL, S_OK};
		hr = op_call(operation, &c);
	}
	unlock();
	return hr;
}

HRESULT WINAPI HcsEnumerateComputeSystemsInNamespace(PCWSTR idNamespace, PCWSTR query,
						     HCS_OPERATION operation)
{
	(void)idNamespace;
	(void)query;
	(void)operation;
	return E_NOTIMPL;
}

/* Whether HcsWaitForComputeSystemExit is done waiting for the system. */
static HRESULT system_exited(const void *obj, char **doc)
{
	const struct system *sys = obj;
	if (sys->state == SS_STOPPED) {
		*doc = exit_doc(sys->exit_type);
		return S_OK;
	}
	if (sys->state == SS_FAILED || (!sys->registered && sys->state != SS_CREATING))
		return MOCK_E_SYSTEM_NOT_FOUND;
	return S_FALSE;
}

HRESULT WINAPI HcsWaitForComputeSystemExit(HCS_SYSTEM computeSystem, DWORD timeoutMs, PWSTR *result)
{
	if (result)
		*result = NULL;
	HRESULT hr;
	bool sync;
	ULONGLONG deadline = deadline_after(timeoutMs);
	char *doc = NULL;
	lock();
	struct shandle *h = sys_handle(computeSystem, "HcsWaitForComputeSystemExit", &hr);
	if (h && !fault_take("HcsWaitForComputeSystemExit", &hr, &sync))
		hr = wait_exit(&h->s, h->sys, system_exited, deadline, &doc);
	unlock();
	if (SUCCEEDED(hr))
		hr = result_out(result, doc);
	free(doc);
	return hr;
}

/* ---- actions at completion --------------------------------------------- */

static void create_done(struct system *sys, const char *config, struct outcome *out)
{
	struct jval *doc = json_parse(config);
	if (!doc || doc->t != J_OBJ ||
	    (!json_get(doc, "Container") && !json_get(doc, "VirtualMachine"))) {
		out->hr = MOCK_E_INVALID_JSON;
	} else if (find_registered(sys->idw)) {
		out->hr = MOCK_E_SYSTEM_ALREADY_EXISTS;
	} else if (FAILED(layers_check(sys->id, config, doc, out))) {
		/* storage refused by the mock vmcompute.dll (layers.c) */
	} else {
		const struct jval *term = json_get(doc, "ShouldTerminateOnLastHandleClosed");
		sys->vm = json_get(doc, "Container") == NULL;
		sys->owner = str_dup(json_str(json_get(doc, "Owner")) ? json_str(json_get(doc, "Owner")) : "");
		sys->term_on_close = term && term->t == J_BOOL && term->b;
		new_guid(sys->runtime_id);
		sys->state = SS_CREATED;
		sys->registered = true;
		sys->refs++; /* the registry's */
		struct system **pp = &g_systems;
		while (*pp)
			pp = &(*pp)->next;
		*pp = sys;
		out->hr = S_OK;
	}
	if (FAILED(out->hr))
		sys->state = SS_FAILED;
	json_free(doc);
}

static void props_doc(struct system *sys, const char *query, struct outcome *out)
{
	bool stats = false, plist = false, mem = false;
	if (query && *query) {
		struct jval *q = json_parse(query);
		if (!q) {
			out->hr = MOCK_E_INVALID_JSON;
			return;
		}
		const struct jval *types = json_get(q, "PropertyTypes");
		out->hr = q->t == J_OBJ ? S_OK : E_INVALIDARG;
		if (types && types->t != J_ARR)
			out->hr = E_INVALIDARG;
		for (const struct jval *t = types ? types->kids : NULL; t && SUCCEEDED(out->hr); t = t->next) {
			const char *s = json_str(t);
			if (s && strcmp(s, "Statistics") == 0)
				stats = true;
			else if (s && strcmp(s, "ProcessList") == 0)
				plist = true;
			else if (s && strcmp(s, "Memory") == 0)
				mem = true;
			else
				out->hr = E_INVALIDARG;
		}
		json_free(q);
		if (FAILED(out->hr))
			return;
	}
	bool live = sys->state == SS_RUNNING || sys->state == SS_PAUSED;
	if (stats && !live) {
		out->hr = MOCK_E_INVALID_STATE;
		return;
	}
	struct sb b = {0};
	sb_add(&b, "{\"Id\":");
	sb_str(&b, sys->id);
	sb_addf(&b, ",\"SystemType\":\"%s\",\"Name\":", sys->vm ? "VirtualMachine" : "Container");
	sb_str(&b, sys->id);
	sb_add(&b, ",\"Owner\":");
	sb_str(&b, sys->owner);
	sb_addf(&b, ",\"RuntimeId\":\"%s\",\"State\":\"%s\",\"Stopped\":%s", sys->runtime_id,
		g_state_names[sys->state], sys->state == SS_STOPPED ? "true" : "false");
	if (sys->state == SS_STOPPED)
		sb_addf(&b, ",\"ExitType\":\"%s\"", sys->exit_type);
	sb_add(&b, ",\"RuntimeOsType\":\"Windows\"");
	ULONGLONG now = now_100ns();
	if (stats) {
		char ts[40], st[40];
		ULONGLONG up = now - sys->start_time;
		ULONGLONG total = up / 4, user = total * 2 / 3, ms = up / 10000;
		fmt_time(ts, now);
		fmt_time(st, sys->start_time);
		sb_addf(&b, ",\"Statistics\":{\"Timestamp\":\"%s\",\"ContainerStartTime\":\"%s\","
			    "\"Uptime100ns\":%llu,\"Processor\":{\"TotalRuntime100ns\":%llu,"
			    "\"RuntimeUser100ns\":%llu,\"RuntimeKernel100ns\":%llu},"
			    "\"Memory\":{\"MemoryUsageCommitBytes\":268435456,"
			    "\"MemoryUsageCommitPeakBytes\":314572800,"
			    "\"MemoryUsagePrivateWorkingSetBytes\":201326592},"
			    "\"Storage\":{\"ReadCountNormalized\":%llu,\"ReadSizeBytes\":%llu,"
			    "\"WriteCountNormalized\":%llu,\"WriteSizeBytes\":%llu}}",
			ts, st, up, total, user, total - user, ms / 10, ms / 10 * 4096, ms / 20,
			ms / 20 * 4096);
	}
	if (plist) {
		sb_add(&b, ",\"ProcessList\":[");
		bool first = true;
		for (struct process *p = sys->procs; p; p = p->next) {
			if (!p->started || p->exited)
				continue;
			char ct[40], image[64];
			fmt_time(ct, p->create_time);
			size_t n = strcspn(p->cmd, " \t");
			if (n >= sizeof(image))
				n = sizeof(image) - 1;
			memcpy(image, p->cmd, n);
			image[n] = 0;
			ULONGLONG run = (now - p->create_time) / 20;
			sb_addf(&b, "%s{\"ProcessId\":%lu,\"ImageName\":", first ? "" : ",",
				(unsigned long)p->pid);
			sb_str(&b, image);
			sb_addf(&b, ",\"CreateTimestamp\":\"%s\",\"UserTime100ns\":%llu,"
				    "\"KernelTime100ns\":%llu,\"MemoryCommitBytes\":1048576,"
				    "\"MemoryWorkingSetPrivateBytes\":524288,"
				    "\"MemoryWorkingSetSharedBytes\":262144}",
				ct, run * 2 / 3, run - run * 2 / 3);
			first = false;
		}
		sb_add(&b, "]");
	}
	if (mem && sys->vm)
		sb_add(&b, ",\"Memory\":{\"VirtualMachineMemory\":{\"AvailableMemory\":1024,"
			   "\"AvailableMemoryBuffer\":0,\"ReservedMemory\":0,"
			   "\"AssignedMemory\":2048,\"SlpActive\":false,"
			   "\"BalancingEnabled\":false,\"DmOperationInProgress\":false}}");
	sb_add(&b, "}");
	out->doc = sb_take(&b);
	out->hr = out->doc ? S_OK : E_OUTOFMEMORY;
}

static void crash(struct system *sys, struct evlist *evs)
{
	struct sb b = {0};
	sb_add(&b, "{\"SystemId\":");
	sb_str(&b, sys->id);
	sb_add(&b, "}");
	char *init = sb_take(&b);
	struct sb r = {0};
	sb_add(&r, "{\"SystemId\":");
	sb_str(&r, sys->id);
	sb_add(&r, ",\"CrashParameters\":[0,0,0,0,0],\"CrashLog\":\"crash requested "
		   "through HcsCrashComputeSystem\",\"Status\":0}");
	char *report = sb_take(&r);
	for (struct shandle *h = sys->handles; h; h = h->next) {
		ev_add(evs, &h->s, HcsEventSystemCrashInitiated, init, NULL);
		ev_add(evs, &h->s, HcsEventSystemCrashReport, report, NULL);
	}
	free(init);
	free(report);
	sys_stop(sys, "UnexpectedExit", evs);
}

void sys_run(struct system *sys, const struct call *c, const char *arg, struct outcome *out)
{
	if (c->act == ACT_CREATE) {
		create_done(sys, arg, out);
		return;
	}
	if (!sys->registered) {
		out->hr = MOCK_E_SYSTEM_NOT_FOUND;
		return;
	}
	enum sstate st = sys->state;
	bool live = st == SS_RUNNING || st == SS_PAUSED;
	out->hr = S_OK;
	switch (c->act) {
	case ACT_START:
		if (st != SS_CREATED) {
			out->hr = MOCK_E_INVALID_STATE;
			break;
		}
		sys->state = SS_RUNNING;
		sys->start_time = now_100ns();
		break;
	case ACT_PAUSE:
		if (st != SS_RUNNING)
			out->hr = MOCK_E_INVALID_STATE;
		else
			sys->state = SS_PAUSED;
		break;
	case ACT_RESUME:
		if (st != SS_PAUSED)
			out->hr = MOCK_E_INVALID_STATE;
		else
			sys->state = SS_RUNNING;
		break;
	case ACT_SAVE: {
		struct jval *o = arg && *arg ? json_parse(arg) : NULL;
		if (arg && *arg && !o) {
			out->hr = MOCK_E_INVALID_JSON;
		} else if (st != SS_PAUSED) {
			out->hr = MOCK_E_INVALID_STATE;
		} else {
			const char *type = json_str(json_get(o, "SaveType"));
			if (type && strcmp(type, "AsTemplate") == 0)
				sys->state = SS_SAVED;
		}
		json_free(o);
		break;
	}
	case ACT_SHUTDOWN:
		if (st == SS_STOPPED)
			out->hr = MOCK_E_SYSTEM_ALREADY_STOPPED;
		else if (!live)
			out->hr = MOCK_E_INVALID_STATE;
		else
			sys_stop(sys, "GracefulExit", &out->evs);
		break;
	case ACT_TERMINATE:
		if (st == SS_STOPPED)
			out->hr = MOCK_E_SYSTEM_ALREADY_STOPPED;
		else
			sys_stop(sys, "ForcedExit", &out->evs);
		break;
	case ACT_CRASH:
		if (st == SS_STOPPED)
			out->hr = MOCK_E_SYSTEM_ALREADY_STOPPED;
		else if (!live)
			out->hr = MOCK_E_INVALID_STATE;
		else
			crash(sys, &out->evs);
		break;
	case ACT_PROPS:
		props_doc(sys, arg, out);
		break;
	case ACT_MODIFY:
		if (!json_valid(arg))
			out->hr = MOCK_E_INVALID_JSON;
		else if (st == SS_STOPPED)
			out->hr = MOCK_E_INVALID_STATE;
		break;
	default:
		out->hr = E_UNEXPECTED;
	}
}

void sys_enumerate(const char *query, struct outcome *out)
{
	struct jval *q = NULL;
	const char *keys[4] = {"Ids", "Names", "Types", "Owners"};
	const struct jval *f[4] = {0};
	if (query && *query) {
		if (!(q = json_parse(query))) {
			out->hr = MOCK_E_INVALID_JSON;
			return;
		}
		if (q->t != J_OBJ)
			out->hr = E_INVALIDARG;
		for (int i = 0; i < 4; i++) {
			f[i] = json_get(q, keys[i]);
			if (f[i] && f[i]->t != J_ARR && f[i]->t != J_NULL)
				out->hr = E_INVALIDARG;
		}
		if (FAILED(out->hr)) {
			json_free(q);
			return;
		}
	}
	struct sb b = {0};
	bool first = true;
	sb_add(&b, "[");
	for (struct system *s = g_systems; s; s = s->next) {
		const char *type = s->vm ? "VirtualMachine" : "Container";
		if (!json_filter(f[0], s->id) || !json_filter(f[1], s->id) ||
		    !json_filter(f[2], type) || !json_filter(f[3], s->owner))
			continue;
		sb_add(&b, first ? "{\"Id\":" : ",{\"Id\":");
		sb_str(&b, s->id);
		sb_addf(&b, ",\"SystemType\":\"%s\",\"Name\":", type);
		sb_str(&b, s->id);
		sb_add(&b, ",\"Owner\":");
		sb_str(&b, s->owner);
		sb_addf(&b, ",\"RuntimeId\":\"%s\",\"RuntimeOsType\":\"Windows\",\"State\":\"%s\"}",
			s->runtime_id, g_state_names[s->state]);
		first = false;
	}
	sb_add(&b, "]");
	json_free(q);
	out->doc = sb_take(&b);
	out->hr = out->doc ? S_OK : E_OUTOFMEMORY;
}
