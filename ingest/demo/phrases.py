"""The phrase banks the demo's posts are drawn from: names, praise, questions, complaints,
reviews, chatter."""

from __future__ import annotations

import re

__all__ = [
    "AGREE",
    "ANNOUNCE",
    "ANNOUNCE_REPLY",
    "ANNOUNCE_REPLY_SHOPPER",
    "ANSWER_CLOSE",
    "ANSWER_OPEN",
    "AREAS",
    "ASK",
    "ASK_BODY",
    "ASK_BODY_SHOPPER",
    "ASPECTS",
    "BIOS",
    "CHATTER",
    "CHATTER_OPEN",
    "CHATTER_REPLY",
    "CHEERS",
    "CHEERS_SHOPPER",
    "CITIES",
    "COMPARE",
    "COMPARE_SHOPPER",
    "COMPLAINTS",
    "DANA_POSTS",
    "DANA_QUOTES",
    "FIRST",
    "FOLLOW_UP",
    "GUS_BACK",
    "GUS_CLOSE",
    "GUS_OPEN",
    "GUS_QUOTE",
    "HANDLE_WORDS",
    "HASHTAG",
    "HELP_REPLY",
    "LAST",
    "MARKETING",
    "MENTION",
    "MILD",
    "PRAISE_CLOSE",
    "PRAISE_DETAIL",
    "PRAISE_OPEN",
    "PRAISE_THING",
    "PROSPECT_A",
    "PROSPECT_B",
    "QA_OWNER",
    "QA_SHOPPER",
    "REVIEW",
    "SHOUTOUTS",
    "SPANISH",
    "SUBREDDITS",
    "TECH_BACK",
    "TECH_QUOTE",
    "TECH_REPLY",
    "THANKS",
    "THANKS_SHOPPER",
]

# --------------------------------------------------------------------------- vocabulary

FIRST = (
    "Ava Ben Cara Dev Eli Fay Gil Hana Ivan Jade Kai Lena Milo Nia Omar Pia Quinn Rosa Sam "
    "Tara Uma Vik Wes Yara Zane Alma Bruno Cleo Dario Edda Felix Greta Hugo Ines Jonas Kira "
    "Luca Mara Nils Olga Pavel Rhea Sven Tess Vera Wim Aisha Carlos Daniela Emeka Fatima "
    "Grace Hiro Isla Jamal Keiko Leon Maya Noah Oscar Priya Rafael Sofia Theo Yusuf Zoe"
).split()
LAST = (
    "Adams Baker Chen Diaz Evans Fischer Garcia Haas Ito Jensen Kowalski Lopez Moreau Novak "
    "Okafor Petrov Rossi Silva Tanaka Ueda Varga Weber Xu Young Zhou Berg Costa Dahl Engel "
    "Frost Gray Hale Iqbal Jones Klein Lund Marsh Nash Ortiz Patel Quinlan Reyes Schmidt "
    "Torres Usman Vance Walsh Yilmaz Zimmer Abbott Brennan Castillo Duarte Ekström Farrow "
    "Nguyen Osei Park Romero Sato"
).split()
HANDLE_WORDS = ("rides", "bikes", "cycles", "pedals", "spins", "commutes", "onwheels")
PROSPECT_A = ("urban", "gravel", "city", "green", "night", "rainy", "steep", "happy",
               "quiet", "early", "downhill", "tandem", "velo", "spoke", "chain", "torque")
PROSPECT_B = ("spokes", "goat", "commuter", "cyclist", "wrench", "miles", "lanes", "crank",
               "cadence", "sprocket", "rider", "tourer", "saddle", "pedaler", "wheelie")
CITIES = ("Portland, OR", "Seattle, WA", "Austin, TX", "Denver, CO", "Chicago, IL",
          "Boston, MA", "Oakland, CA", "Minneapolis, MN", "Brooklyn, NY", "San Diego, CA")
BIOS = ("Commuter. Coffee. Bikes.", "Software engineer, e-bike convert.",
         "Parent of two, rides to school every day.", "Nurse on night shifts. Two wheels.",
         "Urban planning nerd. Bike lanes now.", "Runner, sometimes rider.",
         "Photographer. Mostly bridges.", "Teacher. Weekend gravel rider.",
         "Views my own. Mostly about transit.", "", "", "")
SUBREDDITS = {"ebikes": "t5_2sw3v", "bikecommuting": "t5_2r9ju", "brightloop": "t5_8k2f1q"}

# Sentiment is what the analytics read from this text, so each family of fragments
# keeps its tone: praise is warm, complaints are angry, reviews weigh both sides.
PRAISE_OPEN = ("Loving my", "Absolutely love my", "So happy with my", "Really enjoying my",
                "Big fan of my", "Still delighted with my")
PRAISE_THING = ("{b} e-bike", "{b} subscription", "{b} city bike", "{b} cargo bike",
                 "{b} commuter")
PRAISE_DETAIL = (
    "the battery lasted the whole week!", "my commute is the best part of my day now.",
    "smooth, quiet and fast, and the hills are easy.", "swapping the battery took 30 seconds.",
    "the app makes unlocking so easy.", "40 km today and it still had charge.",
    "sold my car and have not missed it once.", "support sorted a flat in under an hour.",
)
PRAISE_CLOSE = ("", " #brightloop", " 🚲", " Highly recommend!", " Best decision this year.",
                 " Great value.", " #bikecommuting")
DANA_POSTS = (
    "Day {n} with my {b} e-bike and I still grin every morning. Best commute ever!",
    "Beautiful sunrise ride along the river. Thank you {b}, you made my mornings wonderful.",
    "{n} km this month on my {b} and not a single problem. Love it!",
    "Shoutout to @brightloop_help for swapping my bike in under an hour. Amazing service!",
    "New to e-bikes? Happy to answer questions about {b}, it has been fantastic for me.",
    "Rain, wind, hills: my {b} handles it all. Seriously impressed.",
    "Three friends signed up to {b} after riding mine. Great bikes, great people!",
    "The new {b} app update is brilliant, unlocking is instant now. Nice work!",
    "Grocery run on the {b} cargo bike, kids in the back, everyone happy. Love this thing.",
    "One year with {b} today. Best money I spend every month, no regrets at all!",
)
# What owners ask is about the bike and plan they have (support); what prospects ask
# is what one wants to know before signing up (pre-sale).
QA_OWNER = (
    ("how to pause a Brightloop subscription",
     "you can pause it in the Brightloop app under Account > Plan > Pause. No fee, and your "
     "bike stays reserved."),
    ("how long a Brightloop battery takes to charge",
     "about 3.5 hours from empty on the standard pack. Swapping at a dock is even quicker."),
    ("what to do about a flat tyre on a Brightloop",
     "report it in the app and Brightloop swaps the bike at your door, usually next day. "
     "Happened to me once, super easy."),
    ("how to find the nearest Brightloop dock",
     "the map tab in the app shows every dock with live battery counts. Really handy."),
    ("where to change the payment card on Brightloop",
     "Account > Billing > Payment method. Took me 30 seconds."),
    ("how to upgrade to the Brightloop cargo bike",
     "request a swap in the app and pick Cargo. They delivered mine in two days, totally "
     "worth it."),
    ("how to reset the Brightloop lock when it sticks",
     "hold the lock button for 10 seconds until it blinks green, then unlock from the app. "
     "Works every time."),
    ("how to clear the E04 error on a Brightloop display",
     "hold power and mode together for 5 seconds and E04 clears. Had the same, no worries."),
)
QA_SHOPPER = (
    ("if you can take a Brightloop bike on the train",
     "yes, the folding model is allowed on most commuter trains, the standard one off-peak."),
    ("whether two people can share one Brightloop plan",
     "the Duo plan covers two riders and two bikes, it works out cheaper than two singles."),
    ("if Brightloop bikes are OK in heavy rain",
     "mine has been fine all autumn. The fenders are great, just dry the saddle."),
    ("if there is a student discount for Brightloop",
     "yes! 20% off with a student email, you add it under Plans."),
    ("how the Brightloop theft cover works",
     "theft cover is included: file a report in the app within 24 hours and they replace "
     "the bike."),
    ("what the Brightloop minimum contract is",
     "there is no minimum, it is month to month. You can pause or cancel any time."),
    ("how much a Brightloop plan costs a month",
     "the standard plan is 59 a month and cargo is 89, and the first month is often "
     "discounted."),
    ("if you can test ride a Brightloop before signing up",
     "yes, book a free test ride in the app and they bring a bike to your door."),
)
ASK = ("Does anyone know {q}?", "Quick question: does anyone know {q}?",
        "Anyone figured out {q}?", "Help please, does anyone know {q}?",
        "New rider here. Does anyone know {q}?")
ANSWER_OPEN = ("Great question! ", "Happy to help: ", "Good news, ", "Easy one: ", "")
ANSWER_CLOSE = (" Happy riding!", " Hope that helps!", " Enjoy the ride!",
                 " Shout if you get stuck!", "")
THANKS = ("thank you so much, that worked perfectly!", "legend, thanks a lot!",
           "that is really helpful, thank you!", "you are the best, sorted in a minute.",
           "brilliant, that fixed it. Thanks!")
THANKS_SHOPPER = ("thanks, that helps me decide!", "good to know, thank you!",
                   "that is really helpful, thank you!", "great, might sign up then. Thanks!")
CHEERS = ("love this! Same experience here.", "so true, best commute ever.",
           "agreed, love mine too!", "this is awesome, enjoy!")
CHEERS_SHOPPER = ("you convinced me, signing up today!", "great tip, thanks!",
                   "this is awesome, enjoy!", "ok now I want one.")
DANA_QUOTES = ("Couldn't agree more.", "This is exactly why I signed up.",
                "Listen to Dana, she knows her stuff!", "Great thread, worth a read.")
SHOUTOUTS = (
    "Shoutout to @danarides for helping me set up my @brightloop account. Amazing community!",
    "If you have a Brightloop question, ask @danarides. Super helpful and kind.",
    "Thanks to @danarides I finally tried an e-bike. Love it so far! #brightloop",
    "@danarides gave me the best tips for my first week on a Brightloop. Thank you!",
)
COMPLAINTS = (
    "{h} my bike has been broken for {n} days and nobody is answering. Terrible. Cancelling.",
    "{h} third flat battery this month. Terrible, I am paying for a bike I cannot ride.",
    "{h} still no reply to my ticket. Worst customer service I have ever had.",
    "{h} you charged me twice. Awful, dishonest billing. Refund me now.",
    "{h} the app crashed again and locked my bike. Useless.",
    "{h} waited {n} hours for a bike swap. Awful, infuriating service.",
    "{h} battery died halfway home in the rain and nobody picked up the phone. Ridiculous.",
)
GUS_OPEN = ("Pathetic.", "Still waiting, still furious.", "Day {n} of this miserable mess.",
             "Again!? Horrible.", "Worst company ever.", "")
GUS_CLOSE = (" Absolutely furious.", " Terrible company, never again.",
              " Awful. Do NOT sign up.", " So angry. #brightloopfail", " Disgusting service.",
              " I hate this.")
MILD = (
    "{h} a bit disappointed, the repair took longer than promised.",
    "{h} the new app update is confusing and slow, not great.",
    "{h} my swap was late again, kind of annoying.",
    "{h} the dock near me is always empty lately. Not ideal.",
    "Meh. {h} is slower than last year and the chat drags.",
)
AGREE = ("same here, it is terrible. @brightloop fix this!", "ugh, same problem, awful support.",
          "this. I am cancelling too, really bad.", "had the exact same issue, so frustrating.",
          "and this is why I switched to Loopwise. Terrible.")
HELP_REPLY = (
    "Sorry to hear that! We have sent you a DM to sort this out today.",
    "We apologise for the wait. A technician will contact you within 24 hours.",
    "Thanks for flagging this, your refund is on its way. Check your DMs.",
    "Sorry about this, that is not the experience we want for you. Please DM us your email.",
)
GUS_BACK = ("@brightloop_help I DMed you {n} days ago. Silence. Pathetic and useless.",
             "@brightloop_help that is what you said last week. Still broken. Useless.",
             "@brightloop_help Useless. I want a working bike, not an apology.")
FOLLOW_UP = ("thanks, sorted now!", "ok, still waiting though.", "got the DM, thank you.",
              "appreciate the quick reply.")
REVIEW = (
    "Review: {a} vs {c} vs {d} after {n} weeks. {a} has the better {x}, {c} the better {y}. "
    "Neither is perfect. Full video on the channel.",
    "{n} weeks with {a}: good {x}, average {y}, weak {z}. Verdict: solid, not for everyone.",
    "Ranking e-bike subscriptions for city commuters: 1. {a} 2. {c} 3. {d}. The gaps are "
    "small, details in the video.",
    "Hot take: the {x} on {a} is great but the {y} is disappointing. {c} is the opposite.",
    "Long-term test: {a} battery after 1,000 km vs {c}. Numbers in the thread.",
    "{a} or {c}? Depends on your city. {a} wins on {x}, {c} on {y}. #ebikes",
)
ASPECTS = ("battery", "price", "app", "dock coverage", "support", "ride quality", "weight")
TECH_REPLY = ("great review, thanks!", "what about support response times?",
               "Cyclify bikes are way too heavy though.", "fair take. I went with Brightloop.",
               "any plans to test Loopwise cargo bikes?", "disagree on the app, works for me.",
               "useful comparison, saved.", "how were the hills?")
TECH_QUOTE = ("Solid comparison, pretty much my experience.",
               "Worth a watch if you are choosing an e-bike plan.",
               "Interesting, I expected Loopwise to win on price.",
               "Fair review. Still happy with Brightloop.", "This is why I am on Cyclify.")
TECH_BACK = ("Good question, covered at 4:10 in the video.", "Noted, next round.",
              "Fair point, it depends on the route.")
# Owners compare from the bike they have; prospects are still choosing.
COMPARE = (
    "Switched from Loopwise to @brightloop last month and the difference is huge. Better "
    "bikes, better app.",
    "Tried Cyclify for a week, went straight back to Brightloop. Not even close.",
    "Thinking about leaving Brightloop for Loopwise, their plans are cheaper where I live.",
    "My partner has Loopwise, I have Brightloop. Mine is faster, hers is lighter.",
)
COMPARE_SHOPPER = (
    "Cyclify is cheaper than Brightloop but the bikes feel heavy.",
    "Loopwise vs Brightloop vs Cyclify, which one should I get for a 10 km commute?",
    "Honestly Loopwise support has been better than Brightloop for me.",
    "Brightloop or Cyclify for a hilly city? Leaning Brightloop for the battery.",
    "Test rode a Loopwise and a Brightloop this weekend. Still can't decide.",
    "Is Brightloop worth it over Cyclify if I only ride twice a week?",
)
CHATTER = (
    "Saw a whole row of Brightloop bikes outside the station this morning.",
    "The Brightloop dock on 5th street is getting new chargers apparently.",
    "Riding a Brightloop to the #bikeweek meetup on Saturday, who else is coming?",
    "My commute is 6 miles, thinking about an e-bike subscription. Brightloop or Loopwise?",
    "Brightloop has a new colour option, sage green.",
    "More e-bikes on the road this month than ever. #bikecommuting",
    "Moved my Brightloop to the new dock by the library.",
    "Got the Brightloop newsletter today, new plans coming in October.",
    "Cyclify ads everywhere on the subway today.",
    "New bike lane on 5th street finally open.",
    "Commute done, rain everywhere today.",
    "Anyone riding the river trail this weekend?",
)
CHATTER_OPEN = ("", "", "Random thought: ", "FYI ", "PSA: ")
CHATTER_REPLY = ("ha, same.", "good to know.", "interesting.", "see you there.",
                  "hmm, not sure.", "noted!")
SPANISH = ("Me encanta mi bici de Brightloop, la batería dura toda la semana.",
            "¿Alguien sabe cómo pausar la suscripción de Brightloop?",
            "Probé Cyclify y Brightloop, me quedo con Brightloop.")
ANNOUNCE = (
    "New docks are live in {area}! Find them in the map tab. #brightloop",
    "Ride more, own less: our autumn plan is here, first month half price. #brightloop",
    "Thank you to our 50,000 riders! #brightloop",
    "Weekend maintenance: the app may be slow on Saturday from 2 to 4am.",
    "Rider tip: pause your plan any time under Account > Plan. #brightloop",
    "Winter tyres for every Brightloop bike, free for subscribers. Book a swap in the app.",
)
AREAS = ("Eastside", "Riverside", "the Pearl District", "Midtown", "the university campus")
ANNOUNCE_REPLY = ("Great news!", "Finally, thank you!", "About time...",
                   "Love this, booked mine.", "Any plans for the north side?")
ANNOUNCE_REPLY_SHOPPER = ("Great news!", "Is the offer for new riders only?",
                           "Tempting. Does it cover the cargo bike?",
                           "How does this compare to the Loopwise deal?",
                           "Any plans for the north side?")
MARKETING = (0, 1, 2)
"""The announcements (indexes into :data:`ANNOUNCE`) that market to everyone; the others
speak to subscribers."""
ASK_BODY = ("Thanks in advance!", "Could not find it in the FAQ.", "",
             "Just got my first bike last week, still learning.")
ASK_BODY_SHOPPER = ("Thanks in advance!", "Thinking of signing up next month.", "",
                     "Comparing plans before I commit.")
GUS_QUOTE = ("Maybe fix my bike first, useless.", "How about answering your tickets? Pathetic.",
              "Cool. Mine is still broken. Ridiculous.")

MENTION = re.compile(r"(?<![\w@])@(\w{1,15})")
HASHTAG = re.compile(r"(?<![\w#&])#(\w*[A-Za-z_]\w*)")
