package config

import (
	"regexp"
	"strings"

	"github.com/esdr/esdr/internal/awssign"
)

// AWSAuth signs esdr's own requests to a cluster with AWS Signature Version 4: Amazon
// OpenSearch Service domains (service es) and OpenSearch Serverless collections (aoss),
// with IAM credentials from the standard AWS chain (environment, shared files, instance
// or task role), or a role assumed from them. It is clusters[].auth.aws.
type AWSAuth struct {
	// Region is the domain's or collection's region, such as eu-west-1.
	Region string `yaml:"region"`
	// Service is es (a domain, the default) or aoss (a serverless collection).
	Service string `yaml:"service"`
	// RoleARN, when set, is assumed through STS; its temporary credentials sign.
	RoleARN string `yaml:"role_arn"`
}

var (
	awsRegion  = regexp.MustCompile(`^[a-z]{2}(-[a-z]+)+-\d$`)
	awsRoleARN = regexp.MustCompile(`^arn:aws[a-z-]*:iam::\d{12}:role/[\w+=,.@/-]{1,512}$`)
)

// normalize fills the default service.
func (a *AWSAuth) normalize() {
	if a != nil && a.Service == "" {
		a.Service = "es"
	}
}

// validate checks clusters[i].auth.aws, given the rest of the auth block.
func (a *AWSAuth) validate(p *collector, key string, auth AuthConfig) {
	if a == nil {
		return
	}
	if auth.Username != "" || auth.Password.IsSet() || auth.APIKey.IsSet() {
		p.add(key, "set with username/password or api_key, want one way to authenticate: aws alone signs every request")
	}
	if !awsRegion.MatchString(a.Region) {
		p.add(field(key, "region"), "%q is not an AWS region, want the domain's region such as eu-west-1", a.Region)
	}
	if a.Service != "es" && a.Service != "aoss" {
		p.add(field(key, "service"), "%q is not allowed, want es (an OpenSearch Service domain, the default) or aoss (OpenSearch Serverless)", a.Service)
	}
	if a.RoleARN != "" && !awsRoleARN.MatchString(a.RoleARN) {
		p.add(field(key, "role_arn"), "%q is not an IAM role ARN, want such as arn:aws:iam::123456789012:role/esdr", a.RoleARN)
	}
}

// validateAWSWithProxy refuses what the proxy cannot do with SigV4: it does not sign
// the requests it forwards, so it cannot lend AWS credentials.
func validateAWSWithProxy(p *collector, x ProxyConfig, cs []ClusterConfig) {
	for i, cl := range cs {
		key := index("clusters", i)
		if cl.ProxyAuth != nil && cl.ProxyAuth.AWS != nil {
			p.add(field(key, "proxy_auth.aws"), "set, but the proxy does not sign requests with SigV4, want proxy_auth with username/password or api_key, "+
				"or no proxy_auth (clients sign their own requests)")
		}
		if x.Listen != "" && x.ForwardCredentials && cl.ProxyAuth == nil && cl.Auth.AWS != nil {
			p.add(field(key, "auth.aws"), "set with proxy.forward_credentials: true, but the proxy does not sign requests with SigV4, "+
				"want forward_credentials: false (clients sign their own requests for the domain's host) or a proxy_auth with username/password")
		}
	}
}

// signing is the esclient option for a.
func (a *AWSAuth) signing() *awssign.Options {
	if a == nil {
		return nil
	}
	return &awssign.Options{Region: a.Region, Service: strings.ToLower(a.Service), RoleARN: a.RoleARN}
}
