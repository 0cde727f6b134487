/*
 * IKEv2 (RFC 7296) IKE SA life cycle: initiator x responder x network, generated from
 * the transition table of package model by model.Promela. Regenerate: go run ./model/cmd/modelexport -out docs/model
 * Check: spin -a ikev2.pml && gcc -O2 -DSAFETY -o pan pan.c && ./pan
 *
 * Safety properties, asserted on every transition taken (inline check):
 *  (a) the responder enters ESTABLISHED only from INIT_DONE on an IKE_AUTH request, or from IDLE by inheriting a rekeyed IKE SA (1.2, 2.8)
 *  (a') the initiator enters ESTABLISHED only from AUTH_SENT on an IKE_AUTH response, or from IDLE by inheriting a rekeyed IKE SA (1.2, 2.8)
 *  (b) no CREATE_CHILD_SA request or response is processed, and no CREATE_CHILD_SA request sent, outside ESTABLISHED, REKEYED and DELETING (1.3)
 *  (c) DELETED is terminal: no transition leaves it
 *  (e) a response is sent exactly when a request is processed: every request taken is answered, nothing else is (2.21.3, 3.1)
 *  (f) IKE_SA_INIT and IKE_AUTH messages are processed only before the IKE SA is established (1.2)
 *  (g) the initiator never holds a half-open INIT_DONE SA; the responder is never in INIT_SENT or AUTH_SENT (2.2)
 *  (h) before ESTABLISHED only the initiator sends requests, and only IKE_SA_INIT and IKE_AUTH; after it, never those two (1.2, 2.2)
 *  (i) a transition into DELETED leaves no timer running
 *  (d) no invalid end state: spin's default check; each process waits at end_loop
 */

/* IKE SA states */
#define S_IDLE 0
#define S_INIT_SENT 1
#define S_INIT_DONE 2
#define S_AUTH_SENT 3
#define S_ESTABLISHED 4
#define S_DELETING 5
#define S_REKEYED 6
#define S_DELETED 7

/* exchanges (X_NONE: the row names none) */
#define X_NONE 0
#define X_IKE_SA_INIT 1
#define X_IKE_AUTH 2
#define X_CREATE_CHILD_SA 3
#define X_INFORMATIONAL 4

/* events */
#define E_RECV_REQUEST 1
#define E_RECV_RESPONSE 2
#define E_CMD_INITIATE 3
#define E_CMD_TERMINATE 4
#define E_CMD_CHILD_DELETE 5
#define E_TIMER_LIVENESS 6
#define E_TIMER_GIVE_UP 7
#define E_REPORT_ERROR 8
#define E_CMD_CHILD_CREATE 9
#define E_REKEY_CHILD 10
#define E_REKEY_IKE 11
#define E_INHERIT 12

/* outcomes */
#define O_OK 1
#define O_COOKIE 2
#define O_INVALID_KE 3
#define O_REFUSED 4
#define O_AUTH_FAILED 5
#define O_CHILD_FAILED 6
#define O_DELETE_IKE 7
#define O_DELETE_CHILD 8
#define O_EMPTY 9
#define O_IKE_REKEYED 10
#define O_LOST_COLLISION 11
#define O_EAP_CONTINUE 12

/* timers a transition leaves running */
#define T_NONE 0
#define T_RETRANSMIT 1
#define T_HALF_OPEN 2
#define T_LIVENESS 3

/* what a transition sends */
#define SEND_NOTHING 0
#define SEND_REQUEST 1
#define SEND_RESPONSE 2

/* roles, message kinds, bounds */
#define R_INITIATOR 0
#define R_RESPONDER 1
#define K_REQ 1
#define K_RSP 2
#define BUDGET 3

/* the network: one bounded channel per direction, {exchange, kind} */
chan toI = [2] of { byte, byte };
chan toR = [2] of { byte, byte };

/* the state of each end, for the trail */
byte stI = S_IDLE;
byte stR = S_IDLE;

/* a message into a channel, or lost by the network (always possible; forced when full) */
inline send(c, sx, k) {
	if
	:: nfull(c) -> c ! sx, k
	:: true -> skip
	fi
}

/* the safety properties, on the row taken */
inline check(pr, pf, px, pe, po, pt, ps, psx, ptm) {
	assert(!(pr == R_RESPONDER && pt == S_ESTABLISHED && pf != S_ESTABLISHED) || (pf == S_INIT_DONE && px == X_IKE_AUTH && pe == E_RECV_REQUEST) || (pf == S_IDLE && pe == E_INHERIT));	/* (a) */
	assert(!(pr == R_INITIATOR && pt == S_ESTABLISHED && pf != S_ESTABLISHED) || (pf == S_AUTH_SENT && px == X_IKE_AUTH && pe == E_RECV_RESPONSE) || (pf == S_IDLE && pe == E_INHERIT));	/* (a') */
	assert(!((px == X_CREATE_CHILD_SA && (pe == E_RECV_REQUEST || pe == E_RECV_RESPONSE)) || (ps == SEND_REQUEST && psx == X_CREATE_CHILD_SA)) || (pf == S_ESTABLISHED || pf == S_REKEYED || pf == S_DELETING));	/* (b) */
	assert(pf != S_DELETED);	/* (c) */
	assert((ps == SEND_RESPONSE) == (pe == E_RECV_REQUEST));	/* (e) */
	assert(!((pe == E_RECV_REQUEST || pe == E_RECV_RESPONSE) && (px == X_IKE_SA_INIT || px == X_IKE_AUTH)) || (pf == S_IDLE || pf == S_INIT_SENT || pf == S_INIT_DONE || pf == S_AUTH_SENT));	/* (f) */
	assert(!(pr == R_INITIATOR && pt == S_INIT_DONE) && !(pr == R_RESPONDER && (pt == S_INIT_SENT || pt == S_AUTH_SENT)));	/* (g) */
	assert(ps != SEND_REQUEST || ((pf == S_ESTABLISHED || pf == S_REKEYED || pf == S_DELETING) && psx != X_IKE_SA_INIT && psx != X_IKE_AUTH) || (pr == R_INITIATOR && !(pf == S_ESTABLISHED || pf == S_REKEYED || pf == S_DELETING) && (psx == X_IKE_SA_INIT || psx == X_IKE_AUTH)));	/* (h) */
	assert(pt != S_DELETED || ptm == T_NONE);	/* (i) */
}

proctype initiator() {
	byte tm = T_NONE;	/* the timer the last transition left */
	byte pend = 0;	/* bit x set: our request of exchange x awaits its response */
	byte budget = BUDGET;	/* commands, timers and retransmissions left */
end_loop:
	do
	/* operator commands and timers */
	:: atomic { budget > 0 && stI == S_IDLE -> budget--;
		/* IDLE/initiator: IKE_SA_INIT cmd-initiate ok -> INIT_SENT */
		check(R_INITIATOR, S_IDLE, X_IKE_SA_INIT, E_CMD_INITIATE, O_OK, S_INIT_SENT, SEND_REQUEST, X_IKE_SA_INIT, T_RETRANSMIT);
		stI = S_INIT_SENT; tm = T_RETRANSMIT;
		pend = pend | 2; send(toR, X_IKE_SA_INIT, K_REQ)
	   }
	:: atomic { budget > 0 && stI == S_IDLE -> budget--;
		/* IDLE/initiator: CREATE_CHILD_SA inherit ok -> ESTABLISHED */
		check(R_INITIATOR, S_IDLE, X_CREATE_CHILD_SA, E_INHERIT, O_OK, S_ESTABLISHED, SEND_NOTHING, X_NONE, T_LIVENESS);
		stI = S_ESTABLISHED; tm = T_LIVENESS
	   }
	:: atomic { budget > 0 && stI == S_INIT_SENT -> budget--;
		/* INIT_SENT/initiator: ? cmd-terminate ok -> DELETED */
		check(R_INITIATOR, S_INIT_SENT, X_NONE, E_CMD_TERMINATE, O_OK, S_DELETED, SEND_NOTHING, X_NONE, T_NONE);
		stI = S_DELETED; tm = T_NONE
	   }
	:: atomic { budget > 0 && stI == S_INIT_SENT -> budget--;
		/* INIT_SENT/initiator: ? timer-give-up ok -> DELETED */
		check(R_INITIATOR, S_INIT_SENT, X_NONE, E_TIMER_GIVE_UP, O_OK, S_DELETED, SEND_NOTHING, X_NONE, T_NONE);
		stI = S_DELETED; tm = T_NONE
	   }
	:: atomic { budget > 0 && stI == S_AUTH_SENT -> budget--;
		/* AUTH_SENT/initiator: ? cmd-terminate ok -> DELETED */
		check(R_INITIATOR, S_AUTH_SENT, X_NONE, E_CMD_TERMINATE, O_OK, S_DELETED, SEND_NOTHING, X_NONE, T_NONE);
		stI = S_DELETED; tm = T_NONE
	   }
	:: atomic { budget > 0 && stI == S_AUTH_SENT -> budget--;
		/* AUTH_SENT/initiator: ? timer-give-up ok -> DELETED */
		check(R_INITIATOR, S_AUTH_SENT, X_NONE, E_TIMER_GIVE_UP, O_OK, S_DELETED, SEND_NOTHING, X_NONE, T_NONE);
		stI = S_DELETED; tm = T_NONE
	   }
	:: atomic { budget > 0 && stI == S_ESTABLISHED -> budget--;
		/* ESTABLISHED/initiator: CREATE_CHILD_SA cmd-child-create ok -> ESTABLISHED */
		check(R_INITIATOR, S_ESTABLISHED, X_CREATE_CHILD_SA, E_CMD_CHILD_CREATE, O_OK, S_ESTABLISHED, SEND_REQUEST, X_CREATE_CHILD_SA, T_RETRANSMIT);
		stI = S_ESTABLISHED; tm = T_RETRANSMIT;
		pend = pend | 8; send(toR, X_CREATE_CHILD_SA, K_REQ)
	   }
	:: atomic { budget > 0 && stI == S_ESTABLISHED -> budget--;
		/* ESTABLISHED/initiator: CREATE_CHILD_SA rekey-child ok -> ESTABLISHED */
		check(R_INITIATOR, S_ESTABLISHED, X_CREATE_CHILD_SA, E_REKEY_CHILD, O_OK, S_ESTABLISHED, SEND_REQUEST, X_CREATE_CHILD_SA, T_RETRANSMIT);
		stI = S_ESTABLISHED; tm = T_RETRANSMIT;
		pend = pend | 8; send(toR, X_CREATE_CHILD_SA, K_REQ)
	   }
	:: atomic { budget > 0 && stI == S_ESTABLISHED -> budget--;
		/* ESTABLISHED/initiator: CREATE_CHILD_SA rekey-ike ok -> ESTABLISHED */
		check(R_INITIATOR, S_ESTABLISHED, X_CREATE_CHILD_SA, E_REKEY_IKE, O_OK, S_ESTABLISHED, SEND_REQUEST, X_CREATE_CHILD_SA, T_RETRANSMIT);
		stI = S_ESTABLISHED; tm = T_RETRANSMIT;
		pend = pend | 8; send(toR, X_CREATE_CHILD_SA, K_REQ)
	   }
	:: atomic { budget > 0 && stI == S_ESTABLISHED -> budget--;
		/* ESTABLISHED/initiator: INFORMATIONAL cmd-child-delete ok -> ESTABLISHED */
		check(R_INITIATOR, S_ESTABLISHED, X_INFORMATIONAL, E_CMD_CHILD_DELETE, O_OK, S_ESTABLISHED, SEND_REQUEST, X_INFORMATIONAL, T_RETRANSMIT);
		stI = S_ESTABLISHED; tm = T_RETRANSMIT;
		pend = pend | 16; send(toR, X_INFORMATIONAL, K_REQ)
	   }
	:: atomic { budget > 0 && stI == S_ESTABLISHED -> budget--;
		/* ESTABLISHED/initiator: INFORMATIONAL timer-liveness ok -> ESTABLISHED */
		check(R_INITIATOR, S_ESTABLISHED, X_INFORMATIONAL, E_TIMER_LIVENESS, O_OK, S_ESTABLISHED, SEND_REQUEST, X_INFORMATIONAL, T_RETRANSMIT);
		stI = S_ESTABLISHED; tm = T_RETRANSMIT;
		pend = pend | 16; send(toR, X_INFORMATIONAL, K_REQ)
	   }
	:: atomic { budget > 0 && stI == S_ESTABLISHED -> budget--;
		/* ESTABLISHED/initiator: INFORMATIONAL report-error ok -> ESTABLISHED */
		check(R_INITIATOR, S_ESTABLISHED, X_INFORMATIONAL, E_REPORT_ERROR, O_OK, S_ESTABLISHED, SEND_REQUEST, X_INFORMATIONAL, T_RETRANSMIT);
		stI = S_ESTABLISHED; tm = T_RETRANSMIT;
		pend = pend | 16; send(toR, X_INFORMATIONAL, K_REQ)
	   }
	:: atomic { budget > 0 && stI == S_ESTABLISHED -> budget--;
		/* ESTABLISHED/initiator: INFORMATIONAL cmd-terminate ok -> DELETING */
		check(R_INITIATOR, S_ESTABLISHED, X_INFORMATIONAL, E_CMD_TERMINATE, O_OK, S_DELETING, SEND_REQUEST, X_INFORMATIONAL, T_RETRANSMIT);
		stI = S_DELETING; tm = T_RETRANSMIT;
		pend = pend | 16; send(toR, X_INFORMATIONAL, K_REQ)
	   }
	:: atomic { budget > 0 && stI == S_ESTABLISHED -> budget--;
		/* ESTABLISHED/initiator: ? timer-give-up ok -> DELETED */
		check(R_INITIATOR, S_ESTABLISHED, X_NONE, E_TIMER_GIVE_UP, O_OK, S_DELETED, SEND_NOTHING, X_NONE, T_NONE);
		stI = S_DELETED; tm = T_NONE
	   }
	:: atomic { budget > 0 && stI == S_DELETING -> budget--;
		/* DELETING/initiator: ? cmd-terminate ok -> DELETED */
		check(R_INITIATOR, S_DELETING, X_NONE, E_CMD_TERMINATE, O_OK, S_DELETED, SEND_NOTHING, X_NONE, T_NONE);
		stI = S_DELETED; tm = T_NONE
	   }
	:: atomic { budget > 0 && stI == S_DELETING -> budget--;
		/* DELETING/initiator: ? timer-give-up ok -> DELETED */
		check(R_INITIATOR, S_DELETING, X_NONE, E_TIMER_GIVE_UP, O_OK, S_DELETED, SEND_NOTHING, X_NONE, T_NONE);
		stI = S_DELETED; tm = T_NONE
	   }
	:: atomic { budget > 0 && stI == S_REKEYED -> budget--;
		/* REKEYED/initiator: INFORMATIONAL cmd-terminate ok -> DELETING */
		check(R_INITIATOR, S_REKEYED, X_INFORMATIONAL, E_CMD_TERMINATE, O_OK, S_DELETING, SEND_REQUEST, X_INFORMATIONAL, T_RETRANSMIT);
		stI = S_DELETING; tm = T_RETRANSMIT;
		pend = pend | 16; send(toR, X_INFORMATIONAL, K_REQ)
	   }
	:: atomic { budget > 0 && stI == S_REKEYED -> budget--;
		/* REKEYED/initiator: ? timer-give-up ok -> DELETED */
		check(R_INITIATOR, S_REKEYED, X_NONE, E_TIMER_GIVE_UP, O_OK, S_DELETED, SEND_NOTHING, X_NONE, T_NONE);
		stI = S_DELETED; tm = T_NONE
	   }
	/* messages from the peer, in any order; no row: dropped */
	:: atomic { toI ?? X_IKE_SA_INIT, K_RSP ->
		if
		:: stI == S_INIT_SENT && (pend & 2) != 0 ->
			/* INIT_SENT/initiator: IKE_SA_INIT recv-response cookie -> INIT_SENT */
			check(R_INITIATOR, S_INIT_SENT, X_IKE_SA_INIT, E_RECV_RESPONSE, O_COOKIE, S_INIT_SENT, SEND_REQUEST, X_IKE_SA_INIT, T_RETRANSMIT);
			pend = pend & ~2;
			stI = S_INIT_SENT; tm = T_RETRANSMIT;
			pend = pend | 2; send(toR, X_IKE_SA_INIT, K_REQ)
		:: stI == S_INIT_SENT && (pend & 2) != 0 ->
			/* INIT_SENT/initiator: IKE_SA_INIT recv-response invalid-ke -> INIT_SENT */
			check(R_INITIATOR, S_INIT_SENT, X_IKE_SA_INIT, E_RECV_RESPONSE, O_INVALID_KE, S_INIT_SENT, SEND_REQUEST, X_IKE_SA_INIT, T_RETRANSMIT);
			pend = pend & ~2;
			stI = S_INIT_SENT; tm = T_RETRANSMIT;
			pend = pend | 2; send(toR, X_IKE_SA_INIT, K_REQ)
		:: stI == S_INIT_SENT && (pend & 2) != 0 ->
			/* INIT_SENT/initiator: IKE_SA_INIT recv-response ok -> AUTH_SENT */
			check(R_INITIATOR, S_INIT_SENT, X_IKE_SA_INIT, E_RECV_RESPONSE, O_OK, S_AUTH_SENT, SEND_REQUEST, X_IKE_AUTH, T_RETRANSMIT);
			pend = pend & ~2;
			stI = S_AUTH_SENT; tm = T_RETRANSMIT;
			pend = pend | 4; send(toR, X_IKE_AUTH, K_REQ)
		:: stI == S_INIT_SENT && (pend & 2) != 0 ->
			/* INIT_SENT/initiator: IKE_SA_INIT recv-response refused -> DELETED */
			check(R_INITIATOR, S_INIT_SENT, X_IKE_SA_INIT, E_RECV_RESPONSE, O_REFUSED, S_DELETED, SEND_NOTHING, X_NONE, T_NONE);
			pend = pend & ~2;
			stI = S_DELETED; tm = T_NONE
		:: else -> skip
		fi
	   }
	:: atomic { toI ?? X_IKE_AUTH, K_RSP ->
		if
		:: stI == S_AUTH_SENT && (pend & 4) != 0 ->
			/* AUTH_SENT/initiator: IKE_AUTH recv-response eap-continue -> AUTH_SENT */
			check(R_INITIATOR, S_AUTH_SENT, X_IKE_AUTH, E_RECV_RESPONSE, O_EAP_CONTINUE, S_AUTH_SENT, SEND_REQUEST, X_IKE_AUTH, T_RETRANSMIT);
			pend = pend & ~4;
			stI = S_AUTH_SENT; tm = T_RETRANSMIT;
			pend = pend | 4; send(toR, X_IKE_AUTH, K_REQ)
		:: stI == S_AUTH_SENT && (pend & 4) != 0 ->
			/* AUTH_SENT/initiator: IKE_AUTH recv-response ok -> ESTABLISHED */
			check(R_INITIATOR, S_AUTH_SENT, X_IKE_AUTH, E_RECV_RESPONSE, O_OK, S_ESTABLISHED, SEND_NOTHING, X_NONE, T_LIVENESS);
			pend = pend & ~4;
			stI = S_ESTABLISHED; tm = T_LIVENESS
		:: stI == S_AUTH_SENT && (pend & 4) != 0 ->
			/* AUTH_SENT/initiator: IKE_AUTH recv-response child-failed -> ESTABLISHED */
			check(R_INITIATOR, S_AUTH_SENT, X_IKE_AUTH, E_RECV_RESPONSE, O_CHILD_FAILED, S_ESTABLISHED, SEND_NOTHING, X_NONE, T_LIVENESS);
			pend = pend & ~4;
			stI = S_ESTABLISHED; tm = T_LIVENESS
		:: stI == S_AUTH_SENT && (pend & 4) != 0 ->
			/* AUTH_SENT/initiator: IKE_AUTH recv-response refused -> DELETED */
			check(R_INITIATOR, S_AUTH_SENT, X_IKE_AUTH, E_RECV_RESPONSE, O_REFUSED, S_DELETED, SEND_NOTHING, X_NONE, T_NONE);
			pend = pend & ~4;
			stI = S_DELETED; tm = T_NONE
		:: stI == S_AUTH_SENT && (pend & 4) != 0 ->
			/* AUTH_SENT/initiator: IKE_AUTH recv-response auth-failed -> DELETED */
			check(R_INITIATOR, S_AUTH_SENT, X_IKE_AUTH, E_RECV_RESPONSE, O_AUTH_FAILED, S_DELETED, SEND_NOTHING, X_NONE, T_NONE);
			pend = pend & ~4;
			stI = S_DELETED; tm = T_NONE
		:: else -> skip
		fi
	   }
	:: atomic { toI ?? X_CREATE_CHILD_SA, K_REQ ->
		if
		:: stI == S_ESTABLISHED ->
			/* ESTABLISHED/initiator: CREATE_CHILD_SA recv-request ok -> ESTABLISHED */
			check(R_INITIATOR, S_ESTABLISHED, X_CREATE_CHILD_SA, E_RECV_REQUEST, O_OK, S_ESTABLISHED, SEND_RESPONSE, X_NONE, T_LIVENESS);
			stI = S_ESTABLISHED; tm = T_LIVENESS;
			send(toR, X_CREATE_CHILD_SA, K_RSP)
		:: stI == S_ESTABLISHED ->
			/* ESTABLISHED/initiator: CREATE_CHILD_SA recv-request invalid-ke -> ESTABLISHED */
			check(R_INITIATOR, S_ESTABLISHED, X_CREATE_CHILD_SA, E_RECV_REQUEST, O_INVALID_KE, S_ESTABLISHED, SEND_RESPONSE, X_NONE, T_LIVENESS);
			stI = S_ESTABLISHED; tm = T_LIVENESS;
			send(toR, X_CREATE_CHILD_SA, K_RSP)
		:: stI == S_ESTABLISHED ->
			/* ESTABLISHED/initiator: CREATE_CHILD_SA recv-request refused -> ESTABLISHED */
			check(R_INITIATOR, S_ESTABLISHED, X_CREATE_CHILD_SA, E_RECV_REQUEST, O_REFUSED, S_ESTABLISHED, SEND_RESPONSE, X_NONE, T_LIVENESS);
			stI = S_ESTABLISHED; tm = T_LIVENESS;
			send(toR, X_CREATE_CHILD_SA, K_RSP)
		:: stI == S_ESTABLISHED ->
			/* ESTABLISHED/initiator: CREATE_CHILD_SA recv-request ike-rekeyed -> REKEYED */
			check(R_INITIATOR, S_ESTABLISHED, X_CREATE_CHILD_SA, E_RECV_REQUEST, O_IKE_REKEYED, S_REKEYED, SEND_RESPONSE, X_NONE, T_RETRANSMIT);
			stI = S_REKEYED; tm = T_RETRANSMIT;
			send(toR, X_CREATE_CHILD_SA, K_RSP)
		:: stI == S_DELETING ->
			/* DELETING/initiator: CREATE_CHILD_SA recv-request refused -> DELETING */
			check(R_INITIATOR, S_DELETING, X_CREATE_CHILD_SA, E_RECV_REQUEST, O_REFUSED, S_DELETING, SEND_RESPONSE, X_NONE, T_RETRANSMIT);
			stI = S_DELETING; tm = T_RETRANSMIT;
			send(toR, X_CREATE_CHILD_SA, K_RSP)
		:: stI == S_REKEYED ->
			/* REKEYED/initiator: CREATE_CHILD_SA recv-request refused -> REKEYED */
			check(R_INITIATOR, S_REKEYED, X_CREATE_CHILD_SA, E_RECV_REQUEST, O_REFUSED, S_REKEYED, SEND_RESPONSE, X_NONE, T_RETRANSMIT);
			stI = S_REKEYED; tm = T_RETRANSMIT;
			send(toR, X_CREATE_CHILD_SA, K_RSP)
		:: else -> skip
		fi
	   }
	:: atomic { toI ?? X_CREATE_CHILD_SA, K_RSP ->
		if
		:: stI == S_ESTABLISHED && (pend & 8) != 0 ->
			/* ESTABLISHED/initiator: CREATE_CHILD_SA recv-response ok -> ESTABLISHED */
			check(R_INITIATOR, S_ESTABLISHED, X_CREATE_CHILD_SA, E_RECV_RESPONSE, O_OK, S_ESTABLISHED, SEND_NOTHING, X_NONE, T_LIVENESS);
			pend = pend & ~8;
			stI = S_ESTABLISHED; tm = T_LIVENESS
		:: stI == S_ESTABLISHED && (pend & 8) != 0 ->
			/* ESTABLISHED/initiator: CREATE_CHILD_SA recv-response invalid-ke -> ESTABLISHED */
			check(R_INITIATOR, S_ESTABLISHED, X_CREATE_CHILD_SA, E_RECV_RESPONSE, O_INVALID_KE, S_ESTABLISHED, SEND_REQUEST, X_CREATE_CHILD_SA, T_RETRANSMIT);
			pend = pend & ~8;
			stI = S_ESTABLISHED; tm = T_RETRANSMIT;
			pend = pend | 8; send(toR, X_CREATE_CHILD_SA, K_REQ)
		:: stI == S_ESTABLISHED && (pend & 8) != 0 ->
			/* ESTABLISHED/initiator: CREATE_CHILD_SA recv-response child-failed -> ESTABLISHED */
			check(R_INITIATOR, S_ESTABLISHED, X_CREATE_CHILD_SA, E_RECV_RESPONSE, O_CHILD_FAILED, S_ESTABLISHED, SEND_NOTHING, X_NONE, T_LIVENESS);
			pend = pend & ~8;
			stI = S_ESTABLISHED; tm = T_LIVENESS
		:: stI == S_ESTABLISHED && (pend & 8) != 0 ->
			/* ESTABLISHED/initiator: CREATE_CHILD_SA recv-response ike-rekeyed -> DELETING */
			check(R_INITIATOR, S_ESTABLISHED, X_CREATE_CHILD_SA, E_RECV_RESPONSE, O_IKE_REKEYED, S_DELETING, SEND_REQUEST, X_CREATE_CHILD_SA, T_RETRANSMIT);
			pend = pend & ~8;
			stI = S_DELETING; tm = T_RETRANSMIT;
			pend = pend | 8; send(toR, X_CREATE_CHILD_SA, K_REQ)
		:: stI == S_ESTABLISHED && (pend & 8) != 0 ->
			/* ESTABLISHED/initiator: CREATE_CHILD_SA recv-response lost-collision -> REKEYED */
			check(R_INITIATOR, S_ESTABLISHED, X_CREATE_CHILD_SA, E_RECV_RESPONSE, O_LOST_COLLISION, S_REKEYED, SEND_NOTHING, X_NONE, T_RETRANSMIT);
			pend = pend & ~8;
			stI = S_REKEYED; tm = T_RETRANSMIT
		:: stI == S_DELETING && (pend & 8) != 0 ->
			/* DELETING/initiator: CREATE_CHILD_SA recv-response ok -> DELETING */
			check(R_INITIATOR, S_DELETING, X_CREATE_CHILD_SA, E_RECV_RESPONSE, O_OK, S_DELETING, SEND_NOTHING, X_NONE, T_RETRANSMIT);
			pend = pend & ~8;
			stI = S_DELETING; tm = T_RETRANSMIT
		:: stI == S_DELETING && (pend & 8) != 0 ->
			/* DELETING/initiator: CREATE_CHILD_SA recv-response child-failed -> DELETING */
			check(R_INITIATOR, S_DELETING, X_CREATE_CHILD_SA, E_RECV_RESPONSE, O_CHILD_FAILED, S_DELETING, SEND_NOTHING, X_NONE, T_RETRANSMIT);
			pend = pend & ~8;
			stI = S_DELETING; tm = T_RETRANSMIT
		:: stI == S_REKEYED && (pend & 8) != 0 ->
			/* REKEYED/initiator: CREATE_CHILD_SA recv-response ok -> REKEYED */
			check(R_INITIATOR, S_REKEYED, X_CREATE_CHILD_SA, E_RECV_RESPONSE, O_OK, S_REKEYED, SEND_NOTHING, X_NONE, T_RETRANSMIT);
			pend = pend & ~8;
			stI = S_REKEYED; tm = T_RETRANSMIT
		:: stI == S_REKEYED && (pend & 8) != 0 ->
			/* REKEYED/initiator: CREATE_CHILD_SA recv-response child-failed -> REKEYED */
			check(R_INITIATOR, S_REKEYED, X_CREATE_CHILD_SA, E_RECV_RESPONSE, O_CHILD_FAILED, S_REKEYED, SEND_NOTHING, X_NONE, T_RETRANSMIT);
			pend = pend & ~8;
			stI = S_REKEYED; tm = T_RETRANSMIT
		:: else -> skip
		fi
	   }
	:: atomic { toI ?? X_INFORMATIONAL, K_REQ ->
		if
		:: stI == S_ESTABLISHED ->
			/* ESTABLISHED/initiator: INFORMATIONAL recv-request refused -> ESTABLISHED */
			check(R_INITIATOR, S_ESTABLISHED, X_INFORMATIONAL, E_RECV_REQUEST, O_REFUSED, S_ESTABLISHED, SEND_RESPONSE, X_NONE, T_LIVENESS);
			stI = S_ESTABLISHED; tm = T_LIVENESS;
			send(toR, X_INFORMATIONAL, K_RSP)
		:: stI == S_ESTABLISHED ->
			/* ESTABLISHED/initiator: INFORMATIONAL recv-request delete-child -> ESTABLISHED */
			check(R_INITIATOR, S_ESTABLISHED, X_INFORMATIONAL, E_RECV_REQUEST, O_DELETE_CHILD, S_ESTABLISHED, SEND_RESPONSE, X_NONE, T_LIVENESS);
			stI = S_ESTABLISHED; tm = T_LIVENESS;
			send(toR, X_INFORMATIONAL, K_RSP)
		:: stI == S_ESTABLISHED ->
			/* ESTABLISHED/initiator: INFORMATIONAL recv-request empty -> ESTABLISHED */
			check(R_INITIATOR, S_ESTABLISHED, X_INFORMATIONAL, E_RECV_REQUEST, O_EMPTY, S_ESTABLISHED, SEND_RESPONSE, X_NONE, T_LIVENESS);
			stI = S_ESTABLISHED; tm = T_LIVENESS;
			send(toR, X_INFORMATIONAL, K_RSP)
		:: stI == S_ESTABLISHED ->
			/* ESTABLISHED/initiator: INFORMATIONAL recv-request delete-ike -> DELETED */
			check(R_INITIATOR, S_ESTABLISHED, X_INFORMATIONAL, E_RECV_REQUEST, O_DELETE_IKE, S_DELETED, SEND_RESPONSE, X_NONE, T_NONE);
			stI = S_DELETED; tm = T_NONE;
			send(toR, X_INFORMATIONAL, K_RSP)
		:: stI == S_DELETING ->
			/* DELETING/initiator: INFORMATIONAL recv-request refused -> DELETING */
			check(R_INITIATOR, S_DELETING, X_INFORMATIONAL, E_RECV_REQUEST, O_REFUSED, S_DELETING, SEND_RESPONSE, X_NONE, T_RETRANSMIT);
			stI = S_DELETING; tm = T_RETRANSMIT;
			send(toR, X_INFORMATIONAL, K_RSP)
		:: stI == S_DELETING ->
			/* DELETING/initiator: INFORMATIONAL recv-request delete-child -> DELETING */
			check(R_INITIATOR, S_DELETING, X_INFORMATIONAL, E_RECV_REQUEST, O_DELETE_CHILD, S_DELETING, SEND_RESPONSE, X_NONE, T_RETRANSMIT);
			stI = S_DELETING; tm = T_RETRANSMIT;
			send(toR, X_INFORMATIONAL, K_RSP)
		:: stI == S_DELETING ->
			/* DELETING/initiator: INFORMATIONAL recv-request empty -> DELETING */
			check(R_INITIATOR, S_DELETING, X_INFORMATIONAL, E_RECV_REQUEST, O_EMPTY, S_DELETING, SEND_RESPONSE, X_NONE, T_RETRANSMIT);
			stI = S_DELETING; tm = T_RETRANSMIT;
			send(toR, X_INFORMATIONAL, K_RSP)
		:: stI == S_DELETING ->
			/* DELETING/initiator: INFORMATIONAL recv-request delete-ike -> DELETED */
			check(R_INITIATOR, S_DELETING, X_INFORMATIONAL, E_RECV_REQUEST, O_DELETE_IKE, S_DELETED, SEND_RESPONSE, X_NONE, T_NONE);
			stI = S_DELETED; tm = T_NONE;
			send(toR, X_INFORMATIONAL, K_RSP)
		:: stI == S_REKEYED ->
			/* REKEYED/initiator: INFORMATIONAL recv-request refused -> REKEYED */
			check(R_INITIATOR, S_REKEYED, X_INFORMATIONAL, E_RECV_REQUEST, O_REFUSED, S_REKEYED, SEND_RESPONSE, X_NONE, T_RETRANSMIT);
			stI = S_REKEYED; tm = T_RETRANSMIT;
			send(toR, X_INFORMATIONAL, K_RSP)
		:: stI == S_REKEYED ->
			/* REKEYED/initiator: INFORMATIONAL recv-request delete-child -> REKEYED */
			check(R_INITIATOR, S_REKEYED, X_INFORMATIONAL, E_RECV_REQUEST, O_DELETE_CHILD, S_REKEYED, SEND_RESPONSE, X_NONE, T_RETRANSMIT);
			stI = S_REKEYED; tm = T_RETRANSMIT;
			send(toR, X_INFORMATIONAL, K_RSP)
		:: stI == S_REKEYED ->
			/* REKEYED/initiator: INFORMATIONAL recv-request empty -> REKEYED */
			check(R_INITIATOR, S_REKEYED, X_INFORMATIONAL, E_RECV_REQUEST, O_EMPTY, S_REKEYED, SEND_RESPONSE, X_NONE, T_RETRANSMIT);
			stI = S_REKEYED; tm = T_RETRANSMIT;
			send(toR, X_INFORMATIONAL, K_RSP)
		:: stI == S_REKEYED ->
			/* REKEYED/initiator: INFORMATIONAL recv-request delete-ike -> DELETED */
			check(R_INITIATOR, S_REKEYED, X_INFORMATIONAL, E_RECV_REQUEST, O_DELETE_IKE, S_DELETED, SEND_RESPONSE, X_NONE, T_NONE);
			stI = S_DELETED; tm = T_NONE;
			send(toR, X_INFORMATIONAL, K_RSP)
		:: else -> skip
		fi
	   }
	:: atomic { toI ?? X_INFORMATIONAL, K_RSP ->
		if
		:: stI == S_ESTABLISHED && (pend & 16) != 0 ->
			/* ESTABLISHED/initiator: INFORMATIONAL recv-response ok -> ESTABLISHED */
			check(R_INITIATOR, S_ESTABLISHED, X_INFORMATIONAL, E_RECV_RESPONSE, O_OK, S_ESTABLISHED, SEND_NOTHING, X_NONE, T_LIVENESS);
			pend = pend & ~16;
			stI = S_ESTABLISHED; tm = T_LIVENESS
		:: stI == S_DELETING && (pend & 16) != 0 ->
			/* DELETING/initiator: INFORMATIONAL recv-response ok -> DELETED */
			check(R_INITIATOR, S_DELETING, X_INFORMATIONAL, E_RECV_RESPONSE, O_OK, S_DELETED, SEND_NOTHING, X_NONE, T_NONE);
			pend = pend & ~16;
			stI = S_DELETED; tm = T_NONE
		:: stI == S_REKEYED && (pend & 16) != 0 ->
			/* REKEYED/initiator: INFORMATIONAL recv-response ok -> REKEYED */
			check(R_INITIATOR, S_REKEYED, X_INFORMATIONAL, E_RECV_RESPONSE, O_OK, S_REKEYED, SEND_NOTHING, X_NONE, T_RETRANSMIT);
			pend = pend & ~16;
			stI = S_REKEYED; tm = T_RETRANSMIT
		:: else -> skip
		fi
	   }
	/* retransmission of an outstanding request (2.1, 2.4) */
	:: atomic { budget > 0 && stI != S_DELETED && (pend & 2) != 0 -> budget--; send(toR, X_IKE_SA_INIT, K_REQ) }
	:: atomic { budget > 0 && stI != S_DELETED && (pend & 4) != 0 -> budget--; send(toR, X_IKE_AUTH, K_REQ) }
	:: atomic { budget > 0 && stI != S_DELETED && (pend & 8) != 0 -> budget--; send(toR, X_CREATE_CHILD_SA, K_REQ) }
	:: atomic { budget > 0 && stI != S_DELETED && (pend & 16) != 0 -> budget--; send(toR, X_INFORMATIONAL, K_REQ) }
	od
}

proctype responder() {
	byte tm = T_NONE;	/* the timer the last transition left */
	byte pend = 0;	/* bit x set: our request of exchange x awaits its response */
	byte budget = BUDGET;	/* commands, timers and retransmissions left */
end_loop:
	do
	/* operator commands and timers */
	:: atomic { budget > 0 && stR == S_IDLE -> budget--;
		/* IDLE/responder: CREATE_CHILD_SA inherit ok -> ESTABLISHED */
		check(R_RESPONDER, S_IDLE, X_CREATE_CHILD_SA, E_INHERIT, O_OK, S_ESTABLISHED, SEND_NOTHING, X_NONE, T_LIVENESS);
		stR = S_ESTABLISHED; tm = T_LIVENESS
	   }
	:: atomic { budget > 0 && stR == S_INIT_DONE -> budget--;
		/* INIT_DONE/responder: ? cmd-terminate ok -> DELETED */
		check(R_RESPONDER, S_INIT_DONE, X_NONE, E_CMD_TERMINATE, O_OK, S_DELETED, SEND_NOTHING, X_NONE, T_NONE);
		stR = S_DELETED; tm = T_NONE
	   }
	:: atomic { budget > 0 && stR == S_INIT_DONE -> budget--;
		/* INIT_DONE/responder: ? timer-give-up ok -> DELETED */
		check(R_RESPONDER, S_INIT_DONE, X_NONE, E_TIMER_GIVE_UP, O_OK, S_DELETED, SEND_NOTHING, X_NONE, T_NONE);
		stR = S_DELETED; tm = T_NONE
	   }
	:: atomic { budget > 0 && stR == S_ESTABLISHED -> budget--;
		/* ESTABLISHED/responder: CREATE_CHILD_SA cmd-child-create ok -> ESTABLISHED */
		check(R_RESPONDER, S_ESTABLISHED, X_CREATE_CHILD_SA, E_CMD_CHILD_CREATE, O_OK, S_ESTABLISHED, SEND_REQUEST, X_CREATE_CHILD_SA, T_RETRANSMIT);
		stR = S_ESTABLISHED; tm = T_RETRANSMIT;
		pend = pend | 8; send(toI, X_CREATE_CHILD_SA, K_REQ)
	   }
	:: atomic { budget > 0 && stR == S_ESTABLISHED -> budget--;
		/* ESTABLISHED/responder: CREATE_CHILD_SA rekey-child ok -> ESTABLISHED */
		check(R_RESPONDER, S_ESTABLISHED, X_CREATE_CHILD_SA, E_REKEY_CHILD, O_OK, S_ESTABLISHED, SEND_REQUEST, X_CREATE_CHILD_SA, T_RETRANSMIT);
		stR = S_ESTABLISHED; tm = T_RETRANSMIT;
		pend = pend | 8; send(toI, X_CREATE_CHILD_SA, K_REQ)
	   }
	:: atomic { budget > 0 && stR == S_ESTABLISHED -> budget--;
		/* ESTABLISHED/responder: CREATE_CHILD_SA rekey-ike ok -> ESTABLISHED */
		check(R_RESPONDER, S_ESTABLISHED, X_CREATE_CHILD_SA, E_REKEY_IKE, O_OK, S_ESTABLISHED, SEND_REQUEST, X_CREATE_CHILD_SA, T_RETRANSMIT);
		stR = S_ESTABLISHED; tm = T_RETRANSMIT;
		pend = pend | 8; send(toI, X_CREATE_CHILD_SA, K_REQ)
	   }
	:: atomic { budget > 0 && stR == S_ESTABLISHED -> budget--;
		/* ESTABLISHED/responder: INFORMATIONAL cmd-child-delete ok -> ESTABLISHED */
		check(R_RESPONDER, S_ESTABLISHED, X_INFORMATIONAL, E_CMD_CHILD_DELETE, O_OK, S_ESTABLISHED, SEND_REQUEST, X_INFORMATIONAL, T_RETRANSMIT);
		stR = S_ESTABLISHED; tm = T_RETRANSMIT;
		pend = pend | 16; send(toI, X_INFORMATIONAL, K_REQ)
	   }
	:: atomic { budget > 0 && stR == S_ESTABLISHED -> budget--;
		/* ESTABLISHED/responder: INFORMATIONAL timer-liveness ok -> ESTABLISHED */
		check(R_RESPONDER, S_ESTABLISHED, X_INFORMATIONAL, E_TIMER_LIVENESS, O_OK, S_ESTABLISHED, SEND_REQUEST, X_INFORMATIONAL, T_RETRANSMIT);
		stR = S_ESTABLISHED; tm = T_RETRANSMIT;
		pend = pend | 16; send(toI, X_INFORMATIONAL, K_REQ)
	   }
	:: atomic { budget > 0 && stR == S_ESTABLISHED -> budget--;
		/* ESTABLISHED/responder: INFORMATIONAL report-error ok -> ESTABLISHED */
		check(R_RESPONDER, S_ESTABLISHED, X_INFORMATIONAL, E_REPORT_ERROR, O_OK, S_ESTABLISHED, SEND_REQUEST, X_INFORMATIONAL, T_RETRANSMIT);
		stR = S_ESTABLISHED; tm = T_RETRANSMIT;
		pend = pend | 16; send(toI, X_INFORMATIONAL, K_REQ)
	   }
	:: atomic { budget > 0 && stR == S_ESTABLISHED -> budget--;
		/* ESTABLISHED/responder: INFORMATIONAL cmd-terminate ok -> DELETING */
		check(R_RESPONDER, S_ESTABLISHED, X_INFORMATIONAL, E_CMD_TERMINATE, O_OK, S_DELETING, SEND_REQUEST, X_INFORMATIONAL, T_RETRANSMIT);
		stR = S_DELETING; tm = T_RETRANSMIT;
		pend = pend | 16; send(toI, X_INFORMATIONAL, K_REQ)
	   }
	:: atomic { budget > 0 && stR == S_ESTABLISHED -> budget--;
		/* ESTABLISHED/responder: ? timer-give-up ok -> DELETED */
		check(R_RESPONDER, S_ESTABLISHED, X_NONE, E_TIMER_GIVE_UP, O_OK, S_DELETED, SEND_NOTHING, X_NONE, T_NONE);
		stR = S_DELETED; tm = T_NONE
	   }
	:: atomic { budget > 0 && stR == S_DELETING -> budget--;
		/* DELETING/responder: ? cmd-terminate ok -> DELETED */
		check(R_RESPONDER, S_DELETING, X_NONE, E_CMD_TERMINATE, O_OK, S_DELETED, SEND_NOTHING, X_NONE, T_NONE);
		stR = S_DELETED; tm = T_NONE
	   }
	:: atomic { budget > 0 && stR == S_DELETING -> budget--;
		/* DELETING/responder: ? timer-give-up ok -> DELETED */
		check(R_RESPONDER, S_DELETING, X_NONE, E_TIMER_GIVE_UP, O_OK, S_DELETED, SEND_NOTHING, X_NONE, T_NONE);
		stR = S_DELETED; tm = T_NONE
	   }
	:: atomic { budget > 0 && stR == S_REKEYED -> budget--;
		/* REKEYED/responder: INFORMATIONAL cmd-terminate ok -> DELETING */
		check(R_RESPONDER, S_REKEYED, X_INFORMATIONAL, E_CMD_TERMINATE, O_OK, S_DELETING, SEND_REQUEST, X_INFORMATIONAL, T_RETRANSMIT);
		stR = S_DELETING; tm = T_RETRANSMIT;
		pend = pend | 16; send(toI, X_INFORMATIONAL, K_REQ)
	   }
	:: atomic { budget > 0 && stR == S_REKEYED -> budget--;
		/* REKEYED/responder: ? timer-give-up ok -> DELETED */
		check(R_RESPONDER, S_REKEYED, X_NONE, E_TIMER_GIVE_UP, O_OK, S_DELETED, SEND_NOTHING, X_NONE, T_NONE);
		stR = S_DELETED; tm = T_NONE
	   }
	/* messages from the peer, in any order; no row: dropped */
	:: atomic { toR ?? X_IKE_SA_INIT, K_REQ ->
		if
		:: stR == S_IDLE ->
			/* IDLE/responder: IKE_SA_INIT recv-request cookie -> IDLE */
			check(R_RESPONDER, S_IDLE, X_IKE_SA_INIT, E_RECV_REQUEST, O_COOKIE, S_IDLE, SEND_RESPONSE, X_NONE, T_NONE);
			stR = S_IDLE; tm = T_NONE;
			send(toI, X_IKE_SA_INIT, K_RSP)
		:: stR == S_IDLE ->
			/* IDLE/responder: IKE_SA_INIT recv-request invalid-ke -> IDLE */
			check(R_RESPONDER, S_IDLE, X_IKE_SA_INIT, E_RECV_REQUEST, O_INVALID_KE, S_IDLE, SEND_RESPONSE, X_NONE, T_NONE);
			stR = S_IDLE; tm = T_NONE;
			send(toI, X_IKE_SA_INIT, K_RSP)
		:: stR == S_IDLE ->
			/* IDLE/responder: IKE_SA_INIT recv-request refused -> IDLE */
			check(R_RESPONDER, S_IDLE, X_IKE_SA_INIT, E_RECV_REQUEST, O_REFUSED, S_IDLE, SEND_RESPONSE, X_NONE, T_NONE);
			stR = S_IDLE; tm = T_NONE;
			send(toI, X_IKE_SA_INIT, K_RSP)
		:: stR == S_IDLE ->
			/* IDLE/responder: IKE_SA_INIT recv-request ok -> INIT_DONE */
			check(R_RESPONDER, S_IDLE, X_IKE_SA_INIT, E_RECV_REQUEST, O_OK, S_INIT_DONE, SEND_RESPONSE, X_NONE, T_HALF_OPEN);
			stR = S_INIT_DONE; tm = T_HALF_OPEN;
			send(toI, X_IKE_SA_INIT, K_RSP)
		:: stR == S_INIT_DONE ->
			/* INIT_DONE/responder: IKE_SA_INIT recv-request ok -> INIT_DONE */
			check(R_RESPONDER, S_INIT_DONE, X_IKE_SA_INIT, E_RECV_REQUEST, O_OK, S_INIT_DONE, SEND_RESPONSE, X_NONE, T_HALF_OPEN);
			stR = S_INIT_DONE; tm = T_HALF_OPEN;
			send(toI, X_IKE_SA_INIT, K_RSP)
		:: else -> skip
		fi
	   }
	:: atomic { toR ?? X_IKE_AUTH, K_REQ ->
		if
		:: stR == S_INIT_DONE ->
			/* INIT_DONE/responder: IKE_AUTH recv-request eap-continue -> INIT_DONE */
			check(R_RESPONDER, S_INIT_DONE, X_IKE_AUTH, E_RECV_REQUEST, O_EAP_CONTINUE, S_INIT_DONE, SEND_RESPONSE, X_NONE, T_HALF_OPEN);
			stR = S_INIT_DONE; tm = T_HALF_OPEN;
			send(toI, X_IKE_AUTH, K_RSP)
		:: stR == S_INIT_DONE ->
			/* INIT_DONE/responder: IKE_AUTH recv-request ok -> ESTABLISHED */
			check(R_RESPONDER, S_INIT_DONE, X_IKE_AUTH, E_RECV_REQUEST, O_OK, S_ESTABLISHED, SEND_RESPONSE, X_NONE, T_LIVENESS);
			stR = S_ESTABLISHED; tm = T_LIVENESS;
			send(toI, X_IKE_AUTH, K_RSP)
		:: stR == S_INIT_DONE ->
			/* INIT_DONE/responder: IKE_AUTH recv-request child-failed -> ESTABLISHED */
			check(R_RESPONDER, S_INIT_DONE, X_IKE_AUTH, E_RECV_REQUEST, O_CHILD_FAILED, S_ESTABLISHED, SEND_RESPONSE, X_NONE, T_LIVENESS);
			stR = S_ESTABLISHED; tm = T_LIVENESS;
			send(toI, X_IKE_AUTH, K_RSP)
		:: stR == S_INIT_DONE ->
			/* INIT_DONE/responder: IKE_AUTH recv-request refused -> DELETED */
			check(R_RESPONDER, S_INIT_DONE, X_IKE_AUTH, E_RECV_REQUEST, O_REFUSED, S_DELETED, SEND_RESPONSE, X_NONE, T_NONE);
			stR = S_DELETED; tm = T_NONE;
			send(toI, X_IKE_AUTH, K_RSP)
		:: stR == S_INIT_DONE ->
			/* INIT_DONE/responder: IKE_AUTH recv-request auth-failed -> DELETED */
			check(R_RESPONDER, S_INIT_DONE, X_IKE_AUTH, E_RECV_REQUEST, O_AUTH_FAILED, S_DELETED, SEND_RESPONSE, X_NONE, T_NONE);
			stR = S_DELETED; tm = T_NONE;
			send(toI, X_IKE_AUTH, K_RSP)
		:: else -> skip
		fi
	   }
	:: atomic { toR ?? X_CREATE_CHILD_SA, K_REQ ->
		if
		:: stR == S_ESTABLISHED ->
			/* ESTABLISHED/responder: CREATE_CHILD_SA recv-request ok -> ESTABLISHED */
			check(R_RESPONDER, S_ESTABLISHED, X_CREATE_CHILD_SA, E_RECV_REQUEST, O_OK, S_ESTABLISHED, SEND_RESPONSE, X_NONE, T_LIVENESS);
			stR = S_ESTABLISHED; tm = T_LIVENESS;
			send(toI, X_CREATE_CHILD_SA, K_RSP)
		:: stR == S_ESTABLISHED ->
			/* ESTABLISHED/responder: CREATE_CHILD_SA recv-request invalid-ke -> ESTABLISHED */
			check(R_RESPONDER, S_ESTABLISHED, X_CREATE_CHILD_SA, E_RECV_REQUEST, O_INVALID_KE, S_ESTABLISHED, SEND_RESPONSE, X_NONE, T_LIVENESS);
			stR = S_ESTABLISHED; tm = T_LIVENESS;
			send(toI, X_CREATE_CHILD_SA, K_RSP)
		:: stR == S_ESTABLISHED ->
			/* ESTABLISHED/responder: CREATE_CHILD_SA recv-request refused -> ESTABLISHED */
			check(R_RESPONDER, S_ESTABLISHED, X_CREATE_CHILD_SA, E_RECV_REQUEST, O_REFUSED, S_ESTABLISHED, SEND_RESPONSE, X_NONE, T_LIVENESS);
			stR = S_ESTABLISHED; tm = T_LIVENESS;
			send(toI, X_CREATE_CHILD_SA, K_RSP)
		:: stR == S_ESTABLISHED ->
			/* ESTABLISHED/responder: CREATE_CHILD_SA recv-request ike-rekeyed -> REKEYED */
			check(R_RESPONDER, S_ESTABLISHED, X_CREATE_CHILD_SA, E_RECV_REQUEST, O_IKE_REKEYED, S_REKEYED, SEND_RESPONSE, X_NONE, T_RETRANSMIT);
			stR = S_REKEYED; tm = T_RETRANSMIT;
			send(toI, X_CREATE_CHILD_SA, K_RSP)
		:: stR == S_DELETING ->
			/* DELETING/responder: CREATE_CHILD_SA recv-request refused -> DELETING */
			check(R_RESPONDER, S_DELETING, X_CREATE_CHILD_SA, E_RECV_REQUEST, O_REFUSED, S_DELETING, SEND_RESPONSE, X_NONE, T_RETRANSMIT);
			stR = S_DELETING; tm = T_RETRANSMIT;
			send(toI, X_CREATE_CHILD_SA, K_RSP)
		:: stR == S_REKEYED ->
			/* REKEYED/responder: CREATE_CHILD_SA recv-request refused -> REKEYED */
			check(R_RESPONDER, S_REKEYED, X_CREATE_CHILD_SA, E_RECV_REQUEST, O_REFUSED, S_REKEYED, SEND_RESPONSE, X_NONE, T_RETRANSMIT);
			stR = S_REKEYED; tm = T_RETRANSMIT;
			send(toI, X_CREATE_CHILD_SA, K_RSP)
		:: else -> skip
		fi
	   }
	:: atomic { toR ?? X_CREATE_CHILD_SA, K_RSP ->
		if
		:: stR == S_ESTABLISHED && (pend & 8) != 0 ->
			/* ESTABLISHED/responder: CREATE_CHILD_SA recv-response ok -> ESTABLISHED */
			check(R_RESPONDER, S_ESTABLISHED, X_CREATE_CHILD_SA, E_RECV_RESPONSE, O_OK, S_ESTABLISHED, SEND_NOTHING, X_NONE, T_LIVENESS);
			pend = pend & ~8;
			stR = S_ESTABLISHED; tm = T_LIVENESS
		:: stR == S_ESTABLISHED && (pend & 8) != 0 ->
			/* ESTABLISHED/responder: CREATE_CHILD_SA recv-response invalid-ke -> ESTABLISHED */
			check(R_RESPONDER, S_ESTABLISHED, X_CREATE_CHILD_SA, E_RECV_RESPONSE, O_INVALID_KE, S_ESTABLISHED, SEND_REQUEST, X_CREATE_CHILD_SA, T_RETRANSMIT);
			pend = pend & ~8;
			stR = S_ESTABLISHED; tm = T_RETRANSMIT;
			pend = pend | 8; send(toI, X_CREATE_CHILD_SA, K_REQ)
		:: stR == S_ESTABLISHED && (pend & 8) != 0 ->
			/* ESTABLISHED/responder: CREATE_CHILD_SA recv-response child-failed -> ESTABLISHED */
			check(R_RESPONDER, S_ESTABLISHED, X_CREATE_CHILD_SA, E_RECV_RESPONSE, O_CHILD_FAILED, S_ESTABLISHED, SEND_NOTHING, X_NONE, T_LIVENESS);
			pend = pend & ~8;
			stR = S_ESTABLISHED; tm = T_LIVENESS
		:: stR == S_ESTABLISHED && (pend & 8) != 0 ->
			/* ESTABLISHED/responder: CREATE_CHILD_SA recv-response ike-rekeyed -> DELETING */
			check(R_RESPONDER, S_ESTABLISHED, X_CREATE_CHILD_SA, E_RECV_RESPONSE, O_IKE_REKEYED, S_DELETING, SEND_REQUEST, X_CREATE_CHILD_SA, T_RETRANSMIT);
			pend = pend & ~8;
			stR = S_DELETING; tm = T_RETRANSMIT;
			pend = pend | 8; send(toI, X_CREATE_CHILD_SA, K_REQ)
		:: stR == S_ESTABLISHED && (pend & 8) != 0 ->
			/* ESTABLISHED/responder: CREATE_CHILD_SA recv-response lost-collision -> REKEYED */
			check(R_RESPONDER, S_ESTABLISHED, X_CREATE_CHILD_SA, E_RECV_RESPONSE, O_LOST_COLLISION, S_REKEYED, SEND_NOTHING, X_NONE, T_RETRANSMIT);
			pend = pend & ~8;
			stR = S_REKEYED; tm = T_RETRANSMIT
		:: stR == S_DELETING && (pend & 8) != 0 ->
			/* DELETING/responder: CREATE_CHILD_SA recv-response ok -> DELETING */
			check(R_RESPONDER, S_DELETING, X_CREATE_CHILD_SA, E_RECV_RESPONSE, O_OK, S_DELETING, SEND_NOTHING, X_NONE, T_RETRANSMIT);
			pend = pend & ~8;
			stR = S_DELETING; tm = T_RETRANSMIT
		:: stR == S_DELETING && (pend & 8) != 0 ->
			/* DELETING/responder: CREATE_CHILD_SA recv-response child-failed -> DELETING */
			check(R_RESPONDER, S_DELETING, X_CREATE_CHILD_SA, E_RECV_RESPONSE, O_CHILD_FAILED, S_DELETING, SEND_NOTHING, X_NONE, T_RETRANSMIT);
			pend = pend & ~8;
			stR = S_DELETING; tm = T_RETRANSMIT
		:: stR == S_REKEYED && (pend & 8) != 0 ->
			/* REKEYED/responder: CREATE_CHILD_SA recv-response ok -> REKEYED */
			check(R_RESPONDER, S_REKEYED, X_CREATE_CHILD_SA, E_RECV_RESPONSE, O_OK, S_REKEYED, SEND_NOTHING, X_NONE, T_RETRANSMIT);
			pend = pend & ~8;
			stR = S_REKEYED; tm = T_RETRANSMIT
		:: stR == S_REKEYED && (pend & 8) != 0 ->
			/* REKEYED/responder: CREATE_CHILD_SA recv-response child-failed -> REKEYED */
			check(R_RESPONDER, S_REKEYED, X_CREATE_CHILD_SA, E_RECV_RESPONSE, O_CHILD_FAILED, S_REKEYED, SEND_NOTHING, X_NONE, T_RETRANSMIT);
			pend = pend & ~8;
			stR = S_REKEYED; tm = T_RETRANSMIT
		:: else -> skip
		fi
	   }
	:: atomic { toR ?? X_INFORMATIONAL, K_REQ ->
		if
		:: stR == S_INIT_DONE ->
			/* INIT_DONE/responder: INFORMATIONAL recv-request auth-failed -> DELETED */
			check(R_RESPONDER, S_INIT_DONE, X_INFORMATIONAL, E_RECV_REQUEST, O_AUTH_FAILED, S_DELETED, SEND_RESPONSE, X_NONE, T_NONE);
			stR = S_DELETED; tm = T_NONE;
			send(toI, X_INFORMATIONAL, K_RSP)
		:: stR == S_ESTABLISHED ->
			/* ESTABLISHED/responder: INFORMATIONAL recv-request refused -> ESTABLISHED */
			check(R_RESPONDER, S_ESTABLISHED, X_INFORMATIONAL, E_RECV_REQUEST, O_REFUSED, S_ESTABLISHED, SEND_RESPONSE, X_NONE, T_LIVENESS);
			stR = S_ESTABLISHED; tm = T_LIVENESS;
			send(toI, X_INFORMATIONAL, K_RSP)
		:: stR == S_ESTABLISHED ->
			/* ESTABLISHED/responder: INFORMATIONAL recv-request delete-child -> ESTABLISHED */
			check(R_RESPONDER, S_ESTABLISHED, X_INFORMATIONAL, E_RECV_REQUEST, O_DELETE_CHILD, S_ESTABLISHED, SEND_RESPONSE, X_NONE, T_LIVENESS);
			stR = S_ESTABLISHED; tm = T_LIVENESS;
			send(toI, X_INFORMATIONAL, K_RSP)
		:: stR == S_ESTABLISHED ->
			/* ESTABLISHED/responder: INFORMATIONAL recv-request empty -> ESTABLISHED */
			check(R_RESPONDER, S_ESTABLISHED, X_INFORMATIONAL, E_RECV_REQUEST, O_EMPTY, S_ESTABLISHED, SEND_RESPONSE, X_NONE, T_LIVENESS);
			stR = S_ESTABLISHED; tm = T_LIVENESS;
			send(toI, X_INFORMATIONAL, K_RSP)
		:: stR == S_ESTABLISHED ->
			/* ESTABLISHED/responder: INFORMATIONAL recv-request delete-ike -> DELETED */
			check(R_RESPONDER, S_ESTABLISHED, X_INFORMATIONAL, E_RECV_REQUEST, O_DELETE_IKE, S_DELETED, SEND_RESPONSE, X_NONE, T_NONE);
			stR = S_DELETED; tm = T_NONE;
			send(toI, X_INFORMATIONAL, K_RSP)
		:: stR == S_DELETING ->
			/* DELETING/responder: INFORMATIONAL recv-request refused -> DELETING */
			check(R_RESPONDER, S_DELETING, X_INFORMATIONAL, E_RECV_REQUEST, O_REFUSED, S_DELETING, SEND_RESPONSE, X_NONE, T_RETRANSMIT);
			stR = S_DELETING; tm = T_RETRANSMIT;
			send(toI, X_INFORMATIONAL, K_RSP)
		:: stR == S_DELETING ->
			/* DELETING/responder: INFORMATIONAL recv-request delete-child -> DELETING */
			check(R_RESPONDER, S_DELETING, X_INFORMATIONAL, E_RECV_REQUEST, O_DELETE_CHILD, S_DELETING, SEND_RESPONSE, X_NONE, T_RETRANSMIT);
			stR = S_DELETING; tm = T_RETRANSMIT;
			send(toI, X_INFORMATIONAL, K_RSP)
		:: stR == S_DELETING ->
			/* DELETING/responder: INFORMATIONAL recv-request empty -> DELETING */
			check(R_RESPONDER, S_DELETING, X_INFORMATIONAL, E_RECV_REQUEST, O_EMPTY, S_DELETING, SEND_RESPONSE, X_NONE, T_RETRANSMIT);
			stR = S_DELETING; tm = T_RETRANSMIT;
			send(toI, X_INFORMATIONAL, K_RSP)
		:: stR == S_DELETING ->
			/* DELETING/responder: INFORMATIONAL recv-request delete-ike -> DELETED */
			check(R_RESPONDER, S_DELETING, X_INFORMATIONAL, E_RECV_REQUEST, O_DELETE_IKE, S_DELETED, SEND_RESPONSE, X_NONE, T_NONE);
			stR = S_DELETED; tm = T_NONE;
			send(toI, X_INFORMATIONAL, K_RSP)
		:: stR == S_REKEYED ->
			/* REKEYED/responder: INFORMATIONAL recv-request refused -> REKEYED */
			check(R_RESPONDER, S_REKEYED, X_INFORMATIONAL, E_RECV_REQUEST, O_REFUSED, S_REKEYED, SEND_RESPONSE, X_NONE, T_RETRANSMIT);
			stR = S_REKEYED; tm = T_RETRANSMIT;
			send(toI, X_INFORMATIONAL, K_RSP)
		:: stR == S_REKEYED ->
			/* REKEYED/responder: INFORMATIONAL recv-request delete-child -> REKEYED */
			check(R_RESPONDER, S_REKEYED, X_INFORMATIONAL, E_RECV_REQUEST, O_DELETE_CHILD, S_REKEYED, SEND_RESPONSE, X_NONE, T_RETRANSMIT);
			stR = S_REKEYED; tm = T_RETRANSMIT;
			send(toI, X_INFORMATIONAL, K_RSP)
		:: stR == S_REKEYED ->
			/* REKEYED/responder: INFORMATIONAL recv-request empty -> REKEYED */
			check(R_RESPONDER, S_REKEYED, X_INFORMATIONAL, E_RECV_REQUEST, O_EMPTY, S_REKEYED, SEND_RESPONSE, X_NONE, T_RETRANSMIT);
			stR = S_REKEYED; tm = T_RETRANSMIT;
			send(toI, X_INFORMATIONAL, K_RSP)
		:: stR == S_REKEYED ->
			/* REKEYED/responder: INFORMATIONAL recv-request delete-ike -> DELETED */
			check(R_RESPONDER, S_REKEYED, X_INFORMATIONAL, E_RECV_REQUEST, O_DELETE_IKE, S_DELETED, SEND_RESPONSE, X_NONE, T_NONE);
			stR = S_DELETED; tm = T_NONE;
			send(toI, X_INFORMATIONAL, K_RSP)
		:: else -> skip
		fi
	   }
	:: atomic { toR ?? X_INFORMATIONAL, K_RSP ->
		if
		:: stR == S_ESTABLISHED && (pend & 16) != 0 ->
			/* ESTABLISHED/responder: INFORMATIONAL recv-response ok -> ESTABLISHED */
			check(R_RESPONDER, S_ESTABLISHED, X_INFORMATIONAL, E_RECV_RESPONSE, O_OK, S_ESTABLISHED, SEND_NOTHING, X_NONE, T_LIVENESS);
			pend = pend & ~16;
			stR = S_ESTABLISHED; tm = T_LIVENESS
		:: stR == S_DELETING && (pend & 16) != 0 ->
			/* DELETING/responder: INFORMATIONAL recv-response ok -> DELETED */
			check(R_RESPONDER, S_DELETING, X_INFORMATIONAL, E_RECV_RESPONSE, O_OK, S_DELETED, SEND_NOTHING, X_NONE, T_NONE);
			pend = pend & ~16;
			stR = S_DELETED; tm = T_NONE
		:: stR == S_REKEYED && (pend & 16) != 0 ->
			/* REKEYED/responder: INFORMATIONAL recv-response ok -> REKEYED */
			check(R_RESPONDER, S_REKEYED, X_INFORMATIONAL, E_RECV_RESPONSE, O_OK, S_REKEYED, SEND_NOTHING, X_NONE, T_RETRANSMIT);
			pend = pend & ~16;
			stR = S_REKEYED; tm = T_RETRANSMIT
		:: else -> skip
		fi
	   }
	/* retransmission of an outstanding request (2.1, 2.4) */
	:: atomic { budget > 0 && stR != S_DELETED && (pend & 8) != 0 -> budget--; send(toI, X_CREATE_CHILD_SA, K_REQ) }
	:: atomic { budget > 0 && stR != S_DELETED && (pend & 16) != 0 -> budget--; send(toI, X_INFORMATIONAL, K_REQ) }
	od
}

init {
	atomic {
		run initiator();
		run responder()
	}
}
