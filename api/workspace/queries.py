"""The GraphQL operations behind the workspace pages (one per page or action)."""

from __future__ import annotations

__all__ = ["ADD_NOTE", "ASSIGN", "CARE_QUEUE", "CONVERSATION", "CUSTOMER_360", "LINK", "METRICS",
           "PEOPLE", "REOPEN", "REPLY", "RESOLVE", "UNLINK", "ACCOUNT_360"]

CARE_QUEUE = """
query Inbox($team: String, $status: CareStatus, $assignee: String, $first: Int!,
            $after: String, $platform: String, $mentioning: String) {
  careQueue(team: $team, status: $status, assignee: $assignee, first: $first, after: $after,
            platform: $platform, mentioning: $mentioning) {
    total
    edges { node {
      conversationId postId priority team platform text url sentiment waitingHours
      sentimentLabel language intents { name cues }
      status assignee waitingSince notes { author text }
      reasons { factor contribution }
      author { key platform handle displayName followers scores { influence } }
      customer { id name lifetimeValue }
    } }
  }
}"""

_TIMELINE = """
      edges { node { postId time platform kind direction text sentiment conversationId
                     isBrandResponse counterpart { handle } } }"""

CUSTOMER_360 = """
query Customer($id: ID!) {
  customer(id: $id) {
    id name email lifetimeValue nps signupDate location company
    purchases { orderId amount purchasedAt }
    accounts { key platform handle displayName followers linkConfidence linkMethod
               linkEvidence
               scores { influence advocate influencer detractor community customerValue
                        brandSentiment advocateRank influencerRank detractorRank } }
    interactions(first: 30) {""" + _TIMELINE + """ }
  }
}"""

ACCOUNT_360 = """
query Account($platform: String!, $handle: String!) {
  account(platform: $platform, handle: $handle) {
    key platform handle displayName followers location description
    scores { influence advocate influencer detractor community customerValue brandSentiment
             advocateRank influencerRank detractorRank }
    customer { id }
    interactions(first: 30) {""" + _TIMELINE + """ }
  }
}"""

CONVERSATION = """
query Conversation($id: ID!) {
  conversation(id: $id) {
    id truncated
    posts { postId parentId depth time kind text title sentiment url
            author { key platform handle displayName isBrand customer { id name } } }
  }
  careCase(conversationId: $id) {
    status assignee team updatedAt resolvedAt
    notes { id author text createdAt }
    audit(first: 100) { id at actor action summary }
  }
}"""

PEOPLE = """
query People($kind: TargetKind!, $first: Int!, $platform: String, $audience: Audience!,
             $minScore: Float, $community: Int) {
  engagementTargets(kind: $kind, first: $first, platform: $platform, audience: $audience,
                    minScore: $minScore, community: $community) {
    runId
    edges { node {
      rank score
      account { key platform handle displayName followers }
      scores { influence community }
      explanation { factor contribution }
      customer { id name lifetimeValue }
    } }
  }
}"""

METRICS = """
query Dashboard($since: DateTime, $until: DateTime) {
  metrics(since: $since, until: $until, whileUpdating: true) {
    since until notes computedAt updating
    awareness { mentionVolume uniqueAuthors reach
                shareOfVoice { name mentions share isBrand } }
    sales { totalRevenue linkedCustomers linkedRevenue engagedCustomers
            purchasesAfterEngagement revenueAfterEngagement }
    change { daily { day posts sentiment negativeShare }
             risingTerms { term count previous lift } }
  }
}"""

ASSIGN = """
mutation Assign($id: ID!, $assignee: String!, $team: String) {
  assignConversation(conversationId: $id, assignee: $assignee, team: $team) { status }
}"""

ADD_NOTE = """
mutation Note($id: ID!, $text: String!) {
  addNote(conversationId: $id, text: $text) { id }
}"""

REPLY = """
mutation Reply($id: ID!, $text: String!, $public: Boolean!) {
  recordResponse(conversationId: $id, text: $text, public: $public) { post { postId } }
}"""

RESOLVE = """
mutation Resolve($id: ID!, $note: String) {
  resolveConversation(conversationId: $id, note: $note) { status }
}"""

REOPEN = """
mutation Reopen($id: ID!) { reopenConversation(conversationId: $id) { status } }"""

LINK = """
mutation Link($customer: ID!, $platform: String!, $handle: String!) {
  linkAccount(customerId: $customer, platform: $platform, handle: $handle) { id }
}"""

UNLINK = """
mutation Unlink($customer: ID!, $platform: String!, $handle: String!) {
  unlinkAccount(customerId: $customer, platform: $platform, handle: $handle)
}"""
