package config

import (
	"regexp"
	"strings"

	"github.com/esdr/esdr/internal/awssign"
)

// AWSAuth signs esdr's own requests to a cluster with AWS Signature Version 4: Amazon
// OpenSearch Service domains (service es) and OpenSearch Serverless collections (aoss),
// with IAM credentials from the standard AWS chain (environment, shared files, instance
// or task role), or a role assumed from them. It is clusters[].auth.aws; the proxy signs
// the requests it forwards with clusters[].proxy_auth.aws, or with auth.aws under
// proxy.forward_credentials when proxy_auth is not set.
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

// Signing is a as the signer's options (esclient for esdr's own requests, the proxy
// for the requests it forwards), or nil when a is not set.
func (a *AWSAuth) Signing() *awssign.Options {
	if a == nil {
		return nil
	}
	return &awssign.Options{Region: a.Region, Service: strings.ToLower(a.Service), RoleARN: a.RoleARN}
}
