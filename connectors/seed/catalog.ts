/** The product catalog the generator sells from: categories, SKUs, names and list prices (CNY). */

import { Weighted } from './prng.js';

/** Item categories, as the DSL and GraphQL see them. */
export const CATEGORIES = ['fruit', 'fresh_food', 'snacks', 'beverages', 'dairy', 'beauty', 'skincare', 'apparel',
  'shoes', 'electronics', 'home_appliance', 'baby', 'pet', 'books'] as const;
export type Category = (typeof CATEGORIES)[number];

/** One sellable product. `json` is its pre-rendered fragment for event properties. */
export interface Product {
  sku: string;
  name: string;
  category: Category;
  priceCents: number;
  json: string;
}

const RAW: Record<Category, { code: string; weight: number; keywords: string[]; items: Array<[string, number]> }> = {
  fruit: { code: 'FRT', weight: 12, keywords: ['车厘子', '脐橙', '芒果', '草莓', '榴莲', '水果'], items: [
    ['赣南脐橙 5kg', 49.9], ['阳光玫瑰葡萄 2kg', 89], ['海南贵妃芒 3kg', 59.9], ['智利车厘子 JJ级 2kg', 199],
    ['烟台红富士苹果 5kg', 45.9], ['丹东草莓 1.5kg', 79], ['四川丑橘 5kg', 39.9], ['库尔勒香梨 5kg', 55],
    ['泰国金枕榴莲 3kg', 258], ['云南蓝莓 125g×4盒', 69.9]] },
  fresh_food: { code: 'FRS', weight: 10, keywords: ['大米', '牛排', '三文鱼', '大闸蟹', '鸡蛋'], items: [
    ['五常大米 5kg', 69.9], ['厄瓜多尔白虾 1.8kg', 139], ['内蒙古羔羊肉卷 1kg', 89], ['澳洲谷饲牛排 1.2kg', 168],
    ['挪威三文鱼 500g', 128], ['散养土鸡蛋 30枚', 39.9], ['阳澄湖大闸蟹 8只装', 398], ['黑猪五花肉 2kg', 76]] },
  snacks: { code: 'SNK', weight: 12, keywords: ['零食大礼包', '坚果', '辣条', '薯片', '猪肉脯'], items: [
    ['每日坚果 30包', 129], ['靖江猪肉脯 200g', 29.9], ['辣条大礼包', 39.9], ['芒果干 500g', 35.9],
    ['旺旺大礼包 1.2kg', 59], ['薯片组合 12袋', 45], ['沙琪玛 1kg', 32.9], ['奥利奥饼干 家庭装', 38]] },
  beverages: { code: 'BEV', weight: 10, keywords: ['气泡水', '矿泉水', '咖啡豆', '龙井', '可乐'], items: [
    ['农夫山泉 550ml×24瓶', 36], ['元气森林气泡水 480ml×15瓶', 69], ['东方树叶 500ml×15瓶', 65],
    ['可口可乐 330ml×24罐', 59.9], ['三得利乌龙茶 500ml×15瓶', 62], ['星巴克咖啡豆 1kg', 198],
    ['西湖龙井 250g', 368], ['飞天茅台 53度 500ml', 2999]] },
  dairy: { code: 'DRY', weight: 9, keywords: ['牛奶', '酸奶', '奶酪棒', '特仑苏'], items: [
    ['伊利纯牛奶 250ml×24盒', 65], ['特仑苏 250ml×16盒', 69.9], ['安慕希酸奶 205g×12瓶', 59.9],
    ['光明鲜牛奶 950ml×2', 29.8], ['简醇酸奶 150g×10袋', 39.9], ['妙可蓝多奶酪棒 50支', 99]] },
  beauty: { code: 'BTY', weight: 6, keywords: ['口红', '眼影', '香水', '散粉', '睫毛膏'], items: [
    ['迪奥烈艳蓝金口红 999', 350], ['完美日记眼影盘', 129], ['花西子散粉', 189], ['MAC 子弹头口红', 230],
    ['香奈儿 COCO 小姐香水 50ml', 1090], ['毛戈平高光', 390], ['卡姿兰睫毛膏', 89]] },
  skincare: { code: 'SKN', weight: 7, keywords: ['精华', '面膜', '面霜', '神仙水', '修复霜'], items: [
    ['雅诗兰黛小棕瓶精华 50ml', 780], ['兰蔻小黑瓶 50ml', 1080], ['SK-II 神仙水 230ml', 1540],
    ['珀莱雅双抗精华 30ml', 289], ['薇诺娜舒敏保湿霜 50g', 268], ['玉泽屏障修护乳 50ml', 198],
    ['自然堂面膜 30片', 139], ['理肤泉 B5 修复霜 40ml', 158]] },
  apparel: { code: 'APP', weight: 8, keywords: ['羽绒服', '卫衣', '连衣裙', '防晒衣', '衬衫'], items: [
    ['摇粒绒外套', 199], ['波司登羽绒服', 1299], ['李宁运动卫衣', 299], ['太平鸟连衣裙', 459],
    ['海澜之家衬衫', 168], ['蕉下防晒衣', 239], ['保暖内衣套装', 99], ['安踏速干T恤', 89]] },
  shoes: { code: 'SHO', weight: 5, keywords: ['跑鞋', '板鞋', '帆布鞋', '健步鞋'], items: [
    ['耐克 Air Force 1', 799], ['李宁超轻跑鞋', 599], ['安踏软底跑鞋', 359], ['回力帆布鞋', 89],
    ['斯凯奇健步鞋', 499], ['特步跑鞋', 329], ['阿迪达斯三叶草板鞋', 699]] },
  electronics: { code: 'ELC', weight: 4, keywords: ['手机', '蓝牙耳机', '手环', '平板', '充电宝'], items: [
    ['华为 Mate 60 Pro', 6999], ['小米 14', 4299], ['AirPods Pro 2', 1899], ['小米手环 9', 249],
    ['华为 MatePad 11', 2499], ['罗技无线鼠标 M330', 129], ['氮化镓充电器 65W', 199], ['充电宝 20000mAh', 149]] },
  home_appliance: { code: 'HAP', weight: 3, keywords: ['空调', '吹风机', '电饭煲', '扫地机器人', '冰箱'], items: [
    ['美的空调 1.5匹', 2999], ['格力空调 大1匹', 2799], ['戴森吹风机 HD15', 2999], ['九阳豆浆机', 399],
    ['苏泊尔电饭煲 4L', 299], ['小米扫地机器人', 1999], ['海尔对开门冰箱', 3999], ['飞科剃须刀', 159]] },
  baby: { code: 'BBY', weight: 5, keywords: ['奶粉', '纸尿裤', '婴儿推车', '湿巾', '奶瓶'], items: [
    ['飞鹤星飞帆奶粉 3段 700g', 298], ['帮宝适一级帮纸尿裤 L码', 199], ['花王纸尿裤 M码', 139],
    ['贝亲奶瓶 240ml', 119], ['好孩子婴儿推车', 1299], ['全棉时代婴儿湿巾 80抽×6', 69], ['爱他美奶粉 2段 800g', 328]] },
  pet: { code: 'PET', weight: 4, keywords: ['猫粮', '狗粮', '猫砂', '宠物零食'], items: [
    ['皇家猫粮 2kg', 178], ['渴望狗粮 6kg', 688], ['伯纳天纯猫粮 1.5kg', 129], ['豆腐猫砂 6L×4', 89],
    ['宠物自动饮水机', 139], ['麦富迪狗零食 500g', 49.9], ['猫抓板', 39.9]] },
  books: { code: 'BOK', weight: 5, keywords: ['三体', '小说', '绘本', '编程', '历史'], items: [
    ['三体（全三册）', 93], ['活着', 29.8], ['人类简史', 68], ['哈利·波特（全7册）', 498], ['小王子 绘本', 25],
    ['明朝那些事儿 全集', 258], ['Python编程 从入门到实践', 89], ['百年孤独', 55]] },
};

/** Products of each category. */
export const PRODUCTS: Record<Category, Product[]> = Object.fromEntries(CATEGORIES.map((category) => {
  const { code, items } = RAW[category];
  return [category, items.map(([name, price], i): Product => {
    const sku = `${code}-${String(i + 1).padStart(4, '0')}`;
    const priceCents = Math.round(price * 100);
    return { sku, name, category, priceCents,
      json: `"sku": "${sku}", "category": "${category}", "price": ${priceCents / 100}` };
  })];
})) as Record<Category, Product[]>;

/** Search keywords per category. */
export const KEYWORDS: Record<Category, readonly string[]> =
  Object.fromEntries(CATEGORIES.map((c) => [c, RAW[c].keywords])) as Record<Category, string[]>;

/** Categories weighted by how often people buy from them. */
export const CATEGORY_POPULARITY = new Weighted<Category>(CATEGORIES.map((c) => [c, RAW[c].weight] as const));
