package hcssim

import (
	"encoding/json"
	"os"

	"github.com/gohcs/hcs"
)

// The seam's service calls. They are synchronous in computecore.

// supportedSchemaVersions is the BasicInformation the simulated service
// reports: schema 2.0 to 2.6.
var supportedSchemaVersions = func() string {
	type version struct{ Major, Minor uint32 }
	var basic struct{ SupportedSchemaVersions []version }
	for minor := range uint32(7) {
		basic.SupportedSchemaVersions = append(basic.SupportedSchemaVersions, version{2, minor})
	}
	doc, _ := json.Marshal(struct{ Properties []any }{[]any{basic}})
	return string(doc)
}()

// serviceCall runs the checks every service call makes: the service is
// reachable and no failure was injected. s.mu is held.
func (s *Sim) serviceCall(call Call) (string, error) {
	if err := s.available(); err != nil {
		return "", err
	}
	return s.syncFaultDoc(call)
}

// invalidJSON returns the failure of a call given a malformed document.
func invalidJSON(call Call, err error) (string, error) {
	return resultError(call, "", hcs.HCS_E_INVALID_JSON, "invalid document: "+err.Error()), hcs.HCS_E_INVALID_JSON
}

// GetServiceProperties answers the query "Basic", the default; other
// property types are rejected with E_INVALIDARG.
func (b *seam) GetServiceProperties(query string) (string, error) {
	s := (*Sim)(b)
	s.mu.Lock()
	defer s.mu.Unlock()
	if doc, err := s.serviceCall(CallGetServiceProperties); err != nil {
		return doc, err
	}
	if query != "" {
		var q struct{ PropertyTypes []string }
		if err := json.Unmarshal([]byte(query), &q); err != nil {
			return invalidJSON(CallGetServiceProperties, err)
		}
		for _, t := range q.PropertyTypes {
			if t != "Basic" {
				msg := "property type " + t + " is not simulated"
				return resultError(CallGetServiceProperties, "", hcs.E_INVALIDARG, msg), hcs.E_INVALIDARG
			}
		}
	}
	return supportedSchemaVersions, nil
}

func (b *seam) ModifyServiceSettings(settings string) (string, error) {
	s := (*Sim)(b)
	s.mu.Lock()
	defer s.mu.Unlock()
	if doc, err := s.serviceCall(CallModifyServiceSettings); err != nil {
		return doc, err
	}
	if settings == "" {
		return "", hcs.E_INVALIDARG
	}
	var doc map[string]json.RawMessage
	if err := json.Unmarshal([]byte(settings), &doc); err != nil {
		return invalidJSON(CallModifyServiceSettings, err)
	}
	return "", nil
}

func (b *seam) SubmitWerReport(settings string) error {
	s := (*Sim)(b)
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, err := s.serviceCall(CallSubmitWerReport); err != nil {
		return err
	}
	if settings == "" {
		return hcs.E_INVALIDARG
	}
	var doc map[string]json.RawMessage
	if err := json.Unmarshal([]byte(settings), &doc); err != nil {
		return hcs.HCS_E_INVALID_JSON
	}
	return nil
}

// fileExists reports whether path names a file the simulator created (a
// state file) or a file of the real file system. s.mu is held.
func (s *Sim) fileExists(path string) bool {
	if s.files[path] {
		return true
	}
	_, err := os.Stat(path)
	return err == nil
}

// createFile creates an empty state file, in memory only. s.mu is held.
func (s *Sim) createFile(call Call, path string) error {
	if _, err := s.serviceCall(call); err != nil {
		return err
	}
	if path == "" {
		return hcs.E_INVALIDARG
	}
	if s.fileExists(path) {
		return hcs.ERROR_FILE_EXISTS
	}
	s.files[path] = true
	return nil
}

func (b *seam) CreateEmptyGuestStateFile(path string) error {
	s := (*Sim)(b)
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.createFile(CallCreateEmptyGuestStateFile, path)
}

func (b *seam) CreateEmptyRuntimeStateFile(path string) error {
	s := (*Sim)(b)
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.createFile(CallCreateEmptyRuntimeStateFile, path)
}

// access checks an access grant or revocation: the file must exist. s.mu
// is held.
func (s *Sim) access(call Call, vmID, path string, needID bool) error {
	if _, err := s.serviceCall(call); err != nil {
		return err
	}
	if path == "" || needID && vmID == "" {
		return hcs.E_INVALIDARG
	}
	if !s.fileExists(path) {
		return hcs.ERROR_FILE_NOT_FOUND
	}
	return nil
}

func (b *seam) GrantVMAccess(vmID, path string) error {
	s := (*Sim)(b)
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.access(CallGrantVMAccess, vmID, path, true)
}

func (b *seam) RevokeVMAccess(vmID, path string) error {
	s := (*Sim)(b)
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.access(CallRevokeVMAccess, vmID, path, true)
}

func (b *seam) GrantVMGroupAccess(path string) error {
	s := (*Sim)(b)
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.access(CallGrantVMGroupAccess, "", path, false)
}

func (b *seam) RevokeVMGroupAccess(path string) error {
	s := (*Sim)(b)
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.access(CallRevokeVMGroupAccess, "", path, false)
}

// GetProcessorCompatibilityFromSavedState reports no processor
// requirement ({}) for an existing file.
func (b *seam) GetProcessorCompatibilityFromSavedState(path string) (string, error) {
	s := (*Sim)(b)
	s.mu.Lock()
	defer s.mu.Unlock()
	if doc, err := s.serviceCall(CallProcessorCompatibility); err != nil {
		return doc, err
	}
	if path == "" {
		return "", hcs.E_INVALIDARG
	}
	if !s.fileExists(path) {
		return "", hcs.ERROR_FILE_NOT_FOUND
	}
	return "{}", nil
}
