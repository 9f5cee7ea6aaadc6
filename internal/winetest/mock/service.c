/*
 * Service-level calls: all synchronous, no operation.
 */
#include "mock.h"

#include <stdlib.h>
#include <string.h>

/* Disconnect, then an injected failure; S_OK when the call may proceed. */
static HRESULT service_gate(const char *fn)
{
	HRESULT hr = S_OK;
	bool sync;
	lock();
	if (g_disconnected)
		hr = MOCK_E_SERVICE_DISCONNECT;
	else if (!fault_take(fn, &hr, &sync))
		hr = S_OK;
	unlock();
	return hr;
}

static HRESULT check_json(PCWSTR doc)
{
	if (!doc || !*doc)
		return E_INVALIDARG;
	char *s = utf8_dup(doc);
	if (!s)
		return E_OUTOFMEMORY;
	HRESULT hr = json_valid(s) ? S_OK : MOCK_E_INVALID_JSON;
	free(s);
	return hr;
}

static HRESULT file_exists(PCWSTR path)
{
	if (!path || !*path)
		return E_INVALIDARG;
	DWORD attr = GetFileAttributesW(path);
	if (attr == INVALID_FILE_ATTRIBUTES)
		return HRESULT_FROM_WIN32(ERROR_FILE_NOT_FOUND);
	return S_OK;
}

HRESULT WINAPI HcsGetServiceProperties(PCWSTR propertyQuery, PWSTR *result)
{
	if (result)
		*result = NULL;
	HRESULT hr = service_gate("HcsGetServiceProperties");
	if (FAILED(hr))
		return hr;
	if (propertyQuery && *propertyQuery) {
		char *q = utf8_dup(propertyQuery);
		struct jval *doc = json_parse(q);
		free(q);
		if (!doc)
			return MOCK_E_INVALID_JSON;
		const struct jval *types = json_get(doc, "PropertyTypes");
		hr = doc->t != J_OBJ || (types && types->t != J_ARR) ? E_INVALIDARG : S_OK;
		for (const struct jval *t = types ? types->kids : NULL; t && SUCCEEDED(hr); t = t->next) {
			const char *s = json_str(t);
			if (!s || strcmp(s, "Basic") != 0)
				hr = E_INVALIDARG;
		}
		json_free(doc);
		if (FAILED(hr))
			return hr;
	}
	return result_out(result, "{\"Properties\":[{\"SupportedSchemaVersions\":["
				  "{\"Major\":2,\"Minor\":0},{\"Major\":2,\"Minor\":1},"
				  "{\"Major\":2,\"Minor\":2},{\"Major\":2,\"Minor\":3},"
				  "{\"Major\":2,\"Minor\":4},{\"Major\":2,\"Minor\":5},"
				  "{\"Major\":2,\"Minor\":6}]}]}");
}

HRESULT WINAPI HcsModifyServiceSettings(PCWSTR settings, PWSTR *result)
{
	if (result)
		*result = NULL;
	HRESULT hr = service_gate("HcsModifyServiceSettings");
	return FAILED(hr) ? hr : check_json(settings);
}

HRESULT WINAPI HcsSubmitWerReport(PCWSTR settings)
{
	HRESULT hr = service_gate("HcsSubmitWerReport");
	return FAILED(hr) ? hr : check_json(settings);
}

static HRESULT create_empty(const char *fn, PCWSTR path)
{
	HRESULT hr = service_gate(fn);
	if (FAILED(hr))
		return hr;
	if (!path || !*path)
		return E_INVALIDARG;
	HANDLE f = CreateFileW(path, GENERIC_WRITE, 0, NULL, CREATE_NEW, FILE_ATTRIBUTE_NORMAL, NULL);
	if (f == INVALID_HANDLE_VALUE)
		return HRESULT_FROM_WIN32(GetLastError());
	CloseHandle(f);
	return S_OK;
}

HRESULT WINAPI HcsCreateEmptyGuestStateFile(PCWSTR guestStateFilePath)
{
	return create_empty("HcsCreateEmptyGuestStateFile", guestStateFilePath);
}

HRESULT WINAPI HcsCreateEmptyRuntimeStateFile(PCWSTR runtimeStateFilePath)
{
	return create_empty("HcsCreateEmptyRuntimeStateFile", runtimeStateFilePath);
}

static HRESULT vm_access(const char *fn, PCWSTR vmId, PCWSTR path, bool needs_id)
{
	HRESULT hr = service_gate(fn);
	if (FAILED(hr))
		return hr;
	if (needs_id && (!vmId || !*vmId))
		return E_INVALIDARG;
	return file_exists(path);
}

HRESULT WINAPI HcsGrantVmAccess(PCWSTR vmId, PCWSTR filePath)
{
	return vm_access("HcsGrantVmAccess", vmId, filePath, true);
}

HRESULT WINAPI HcsRevokeVmAccess(PCWSTR vmId, PCWSTR filePath)
{
	return vm_access("HcsRevokeVmAccess", vmId, filePath, true);
}

HRESULT WINAPI HcsGrantVmGroupAccess(PCWSTR filePath)
{
	return vm_access("HcsGrantVmGroupAccess", NULL, filePath, false);
}

HRESULT WINAPI HcsRevokeVmGroupAccess(PCWSTR filePath)
{
	return vm_access("HcsRevokeVmGroupAccess", NULL, filePath, false);
}

HRESULT WINAPI HcsGetProcessorCompatibilityFromSavedState(PCWSTR RuntimeFileName,
							  PCWSTR *ProcessorFeaturesString)
{
	if (ProcessorFeaturesString)
		*ProcessorFeaturesString = NULL;
	HRESULT hr = service_gate("HcsGetProcessorCompatibilityFromSavedState");
	if (SUCCEEDED(hr))
		hr = file_exists(RuntimeFileName);
	if (FAILED(hr))
		return hr;
	PWSTR doc = NULL;
	hr = result_out(&doc, "{\"ProcessorVendor\":\"GenuineIntel\",\"ProcessorFeatures\":[],"
			      "\"XsaveProcessorFeatures\":[]}");
	if (ProcessorFeaturesString)
		*ProcessorFeaturesString = doc;
	else if (doc)
		LocalFree(doc);
	return hr;
}
