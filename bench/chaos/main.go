// Command chaos is esdr's fault campaign.
package main

func main() {}
