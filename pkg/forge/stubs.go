package forge

import "net/url"

func newGitLab(c *client, u *url.URL, o Options) (Forge, error) {
	return nil, &Error{Op: "gitlab", Kind: ErrUnsupported}
}
func newAzure(c *client, u *url.URL, o Options) (Forge, error) {
	return nil, &Error{Op: "azure", Kind: ErrUnsupported}
}
func newBitbucket(c *client, u *url.URL, o Options) (Forge, error) {
	return nil, &Error{Op: "bitbucket", Kind: ErrUnsupported}
}
