package model

// Scenarios are the bounded configurations the full run of the explorer
// covers (TestExplore, `make model`): together they take every row of
// Table and ChildTable that the abstract peers can reach.
var Scenarios = []Scenario{
	{Name: "setup-psk", Cookie: true, InvalidKE: true, Losses: 1, Dups: 1, Retries: 1},
	{Name: "setup-eap", EAP: true, Losses: 1, Dups: 1, Retries: 1, Cmds: 1, Terminate: true},
	{Name: "child-rekey", Losses: 1, Retries: 1, Cmds: 1, RekeyChild: true},
	{Name: "child-rekey-dup", Dups: 1, Cmds: 1, RekeyChild: true},
	{Name: "child-rekey-delete", Retries: 1, Cmds: 2, RekeyChild: true, DeleteChild: true},
	{Name: "ike-rekey", Losses: 1, Retries: 1, Cmds: 1, RekeyIKE: true},
	{Name: "ike-rekey-dup", Dups: 1, Cmds: 1, RekeyIKE: true},
	{Name: "ike-and-child-rekey", Cmds: 2, RekeyIKE: true, RekeyChild: true},
	{Name: "delete", Losses: 1, Dups: 1, Retries: 1, Cmds: 1, DeleteChild: true, Terminate: true},
	{Name: "liveness", Losses: 1, Dups: 1, Retries: 1, Liveness: 1},
	{Name: "late-init", Losses: 1, Dups: 2, Retries: 1, Cmds: 1, Terminate: true, TerminateAny: true, LateInit: true},
	{Name: "rekey-then-delete", Cmds: 2, RekeyIKE: true, Terminate: true},
	{Name: "faults-setup", Cookie: true, Faults: true, Losses: 1, Dups: 1, Retries: 1},
	{Name: "faults-terminate", Faults: true, Losses: 1, Retries: 1, Cmds: 2, Terminate: true},
	{Name: "faults-established", Faults: true, Cmds: 1, CreateChild: true, RekeyChild: true},
	{Name: "faults-ike-rekey", Faults: true, Liveness: 1, Cmds: 1, RekeyIKE: true},
	{Name: "create-child-delete", Losses: 1, Retries: 1, Cmds: 2, CreateChild: true, DeleteChild: true},
	{Name: "adversary-create-child-before-auth", Losses: 1, Retries: 1, EarlyCreateChild: true},
	{Name: "adversary-early-eap-success", EAP: true, Retries: 1, EarlyEAPSuccess: true},
}
