package testenv

import "net/http"

func (f *FakeForge) gitlabAPI(w http.ResponseWriter, r *http.Request)    { http.NotFound(w, r) }
func (f *FakeForge) azureAPI(w http.ResponseWriter, r *http.Request)     { http.NotFound(w, r) }
func (f *FakeForge) bitbucketAPI(w http.ResponseWriter, r *http.Request) { http.NotFound(w, r) }
